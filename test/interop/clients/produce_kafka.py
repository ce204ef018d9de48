"""Produces records with confluent-kafka (librdkafka); reports each record's partition and offset.

options.partitioner, when set, is passed to librdkafka (e.g. "murmur2_random"); otherwise
librdkafka's default ("consistent_random") applies.
"""
from confluent_kafka import Producer

from spec import read_spec, report


def main():
    spec = read_spec()
    config = {"bootstrap.servers": spec["url"], "acks": "all", "enable.idempotence": False}
    if spec.get("options", {}).get("partitioner"):
        config["partitioner"] = spec["options"]["partitioner"]
    producer = Producer(config)
    results = [None] * len(spec["messages"])

    def delivered(index):
        def callback(error, record):
            if error is not None:
                raise SystemExit(f"record {index} was not delivered: {error}")
            results[index] = {"partition": record.partition(), "offset": record.offset()}
        return callback

    for index, message in enumerate(spec["messages"]):
        headers = list(message["headers"])
        producer.produce(spec["topic"], value=message["value"], key=message.get("key"), headers=headers or None, on_delivery=delivered(index))
    remaining = producer.flush(30)
    if remaining:
        raise SystemExit(f"{remaining} records were still undelivered after 30 s")
    report(results)


main()
