"""Fail loudly, before any test runs, when a service the suite needs is not there.

Usage: DATABASE_URL=... python tests/preflight.py REDIS_URL
"""

import os
import sys

import psycopg
import redis


def main(broker_url):
    problems = []
    database_url = os.environ["DATABASE_URL"]
    try:
        psycopg.connect(database_url, connect_timeout=5).close()
    except psycopg.Error as error:
        problems.append(f"PostgreSQL at {database_url} is not reachable: {error}")
    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        problems.append(f"Redis at {broker_url} is not reachable: {error}")
    for problem in problems:
        print(f"PREFLIGHT FAILED: {problem}", file=sys.stderr)
    if problems:
        print("The test suite needs these services; start them (see README).", file=sys.stderr)
        return 1
    print("preflight: PostgreSQL and Redis are up")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
