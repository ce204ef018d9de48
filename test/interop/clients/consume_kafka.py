"""Reads `count` records from the start of a topic with confluent-kafka (librdkafka), a new group."""
import time
import uuid

from confluent_kafka import Consumer

from consume_common import emit, read_request


def main():
    request = read_request()
    consumer = Consumer({
        "bootstrap.servers": request["url"],
        "group.id": "interop-" + uuid.uuid4().hex[:8],
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([request["topic"]])
    read = []
    deadline = time.time() + 30
    while len(read) < request["count"] and time.time() < deadline:
        record = consumer.poll(1.0)
        if record is None:
            continue
        if record.error():
            raise SystemExit(f"confluent-kafka: {record.error()}")
        read.append({"value": record.value(), "key": record.key(), "headers": record.headers() or []})
    consumer.close()
    if len(read) < request["count"]:
        raise SystemExit(f"read {len(read)} of {request['count']} records within 30 s")
    emit(read)


main()
