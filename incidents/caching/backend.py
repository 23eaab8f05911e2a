"""The cache backend the settings select when REDIS_URL is set: Django's Redis cache with one redis-py client."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _OneClient(RedisCacheClient):
    """Django builds a new redis-py client for every cache operation (a third of a millisecond each, most
    of the cost of a cached page); one client per connection pool is enough: redis-py clients are
    thread-safe."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, reusing its redis-py client."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClient
