import datetime as dt

import factory
from django.contrib.auth import get_user_model

from emograph.social.models import Author, Post, Source, Topic


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("a-long-test-password")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"source-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    source = factory.SubFactory(SourceFactory)
    external_id = factory.Sequence(lambda n: f"u{n}")
    handle = factory.Sequence(lambda n: f"handle{n}")


SLUG_PREFIXES = {"watchlist": "watch-", "source": "source-"}


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    kind = "tag"
    # Each kind owns a slug prefix (Topic's check constraint).
    slug = factory.LazyAttributeSequence(lambda o, n: f"{SLUG_PREFIXES.get(o.kind, '')}topic-{n}")
    name = factory.LazyAttribute(lambda o: o.slug)


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    source = factory.SubFactory(SourceFactory)
    author = factory.SubFactory(AuthorFactory, source=factory.SelfAttribute("..source"))
    external_id = factory.Sequence(lambda n: f"p{n}")
    text = "I can't believe this happened"
    language = "en"
    created_at = factory.Sequence(
        lambda n: dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
    )
