"""Publishes messages with pika to the `eventwire` topic exchange (or options.exchange), routing key = topic.

Each message's headers become AMQP application headers (UTF-8 text when they decode, bytes
otherwise); content_type and message_id, when given, become the AMQP properties. Publisher
confirms and `mandatory` make an unroutable or refused message fail this script.
"""
import pika

from spec import read_spec, report


def header_value(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def main():
    spec = read_spec()
    connection = pika.BlockingConnection(pika.URLParameters(spec["url"]))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        for message in spec["messages"]:
            headers = {name: header_value(value) for name, value in message["headers"]}
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
