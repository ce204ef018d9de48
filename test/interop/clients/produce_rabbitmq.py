"""Publishes messages with pika to the `eventwire` topic exchange (or options.exchange), routing key = topic.

Each message's headers become AMQP application headers (UTF-8 text when they decode, bytes
otherwise); typed_headers, when given, join them with their own AMQP types (see typed());
content_type and message_id, when given, become the AMQP properties. Publisher
confirms and `mandatory` make an unroutable or refused message fail this script.
"""
import base64
from datetime import datetime, timezone

import pika

from spec import read_spec, report


def header_value(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def typed(value):
    """JSON to the Python value pika encodes with the AMQP type meant: {"$bytes": base64} is a
    byte array, {"$timestamp": seconds} a timestamp; other objects are tables, lists arrays, an
    int a signed 32- or 64-bit integer, a bool a boolean, null void."""
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        if set(value) == {"$timestamp"}:
            return datetime.fromtimestamp(value["$timestamp"], timezone.utc)
        return {name: typed(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [typed(inner) for inner in value]
    return value


def main():
    spec = read_spec()
    connection = pika.BlockingConnection(pika.URLParameters(spec["url"]))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for message in spec["messages"]:
            headers = {name: header_value(value) for name, value in message["headers"]}
            headers.update(typed(message.get("typed_headers") or {}))
            properties = pika.BasicProperties(
                delivery_mode=2,
                headers=headers or None,
                content_type=message.get("content_type"),
                message_id=message.get("message_id"),
            )
            channel.basic_publish(spec.get("options", {}).get("exchange", "eventwire"), spec["topic"], message["value"], properties, mandatory=True)
        report([{"published": True} for _ in spec["messages"]])
    finally:
        connection.close()


main()
