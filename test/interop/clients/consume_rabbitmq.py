"""Reads `count` messages from an existing queue with pika (basic_get), acknowledging each."""
import time

import pika

from consume_common import emit, read_request


def main():
    request = read_request()
    connection = pika.BlockingConnection(pika.URLParameters(request["url"]))
    channel = connection.channel()
    read = []
    deadline = time.time() + 30
    while len(read) < request["count"] and time.time() < deadline:
        method, properties, body = channel.basic_get(request["queue"], auto_ack=True)
        if method is None:
            connection.sleep(0.05)
            continue
        read.append({
            "value": body,
            "headers": sorted((properties.headers or {}).items()),
            "content_type": properties.content_type,
            "message_id": properties.message_id,
        })
    connection.close()
    if len(read) < request["count"]:
        raise SystemExit(f"read {len(read)} of {request['count']} messages within 30 s")
    emit(read)


main()
