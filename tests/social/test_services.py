from emograph.social.services import PSEUDONYM_PREFIX, author_identity, pseudonymise


def test_pseudonym_is_stable_keyed_and_scoped():
    a = pseudonymise("@alice", key="k1", scope="weibo")
    assert a == pseudonymise("@alice", key="k1", scope="weibo")
    assert a.startswith(PSEUDONYM_PREFIX)
    assert "alice" not in a
    assert a != pseudonymise("@alice", key="k2", scope="weibo")  # no key, no link
    assert a != pseudonymise("@alice", key="k1", scope="twitter")
    assert a != pseudonymise("@bob", key="k1", scope="weibo")


def test_author_identity_raw_when_off(settings):
    settings.EMOGRAPH_PSEUDONYMISE_AUTHORS = False
    assert author_identity(source_slug="weibo", external_id="123", handle="alice") == {
        "external_id": "123",
        "handle": "alice",
        "is_pseudonymised": False,
    }


def test_author_identity_hashes_both_ids_when_on(settings):
    settings.EMOGRAPH_PSEUDONYMISE_AUTHORS = True
    settings.EMOGRAPH_PSEUDONYM_KEY = "secret"
    identity = author_identity(source_slug="weibo", external_id="123", handle="alice")
    assert identity["is_pseudonymised"] is True
    assert identity["external_id"] == pseudonymise("123", key="secret", scope="weibo")
    assert identity["handle"] == pseudonymise("alice", key="secret", scope="weibo")
    assert "alice" not in str(identity)
    assert "123" not in identity["external_id"]
