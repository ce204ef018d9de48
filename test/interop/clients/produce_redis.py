"""Appends stream entries with redis-py: `value`, `key` when given, then any other fields as given."""
import redis

from spec import read_spec, report


def main():
    spec = read_spec()
    client = redis.Redis.from_url(spec["url"])
    try:
        ids = []
        for message in spec["messages"]:
            fields = {"value": message["value"]}
            if message.get("key") is not None:
                fields["key"] = message["key"]
            for name, value in message["fields"]:
                fields[name] = value
            ids.append(client.xadd(spec["topic"], fields).decode("ascii"))
        report([{"id": entry_id} for entry_id in ids])
    finally:
        client.close()


main()
