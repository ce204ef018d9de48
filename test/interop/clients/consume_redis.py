"""Reads the first `count` entries of a stream with redis-py (XRANGE); fields become headers."""
import redis

from consume_common import emit, read_request


def main():
    request = read_request()
    client = redis.Redis.from_url(request["url"])
    entries = client.xrange(request["topic"], count=request["count"])
    read = []
    for _id, fields in entries:
        fields = {name.decode("utf-8"): value for name, value in fields.items()}
        read.append({
            "value": fields.pop("value", b""),
            "key": fields.pop("key", None),
            "headers": sorted(fields.items()),
        })
    if len(read) < request["count"]:
        raise SystemExit(f"read {len(read)} of {request['count']} entries")
    emit(read)


main()
