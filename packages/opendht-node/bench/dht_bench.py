#!/usr/bin/python3
"""Peer benchmark through python3-opendht (Debian's binding of the same OpenDHT library).

Runs the same measurements as dht-bench.ts on its own 3-node loopback network and prints one
JSON line on stdout (progress goes to stderr). Run with /usr/bin/python3, which has `opendht`.
"""
import argparse
import json
import socket
import statistics
import sys
import threading
import time

import opendht as dht


def start_node(network_id):
    config = dht.DhtConfig()
    config.setNetwork(network_id)
    node = dht.DhtRunner()
    node.run(port=0, ipv4="127.0.0.1", config=config)
    return node


def put_wait(node, key, data):
    return node.put(key, dht.Value(data))


def warm_up(nodes):
    """Every node puts once and every node gets it: routing tables are confirmed afterwards."""
    for src in nodes:
        key = dht.InfoHash.getRandom()
        deadline = time.monotonic() + 10
        while not put_wait(src, key, b"warm-up"):
            if time.monotonic() > deadline:
                raise RuntimeError("network did not come up")
        for dst in nodes:
            while not any(v.data == b"warm-up" for v in dst.get(key)):
                if time.monotonic() > deadline:
                    raise RuntimeError("network did not come up")


def delivery_latencies(sender, receiver, samples):
    key = dht.InfoHash.getRandom()
    lock = threading.Condition()
    seen = set()

    def on_value(value, expired):
        if not expired:
            with lock:
                seen.add(bytes(value.data))
                lock.notify_all()
        return True

    token = receiver.listen(key, on_value)
    put_wait(sender, dht.InfoHash.getRandom(), b"settle")  # the listen is registered by now
    out = []
    for i in range(samples):
        payload = b"bench-%d" % i
        start = time.perf_counter()
        sender.put(key, dht.Value(payload), done_cb=lambda ok, nodes: None)
        with lock:
            if not lock.wait_for(lambda: payload in seen, timeout=10):
                raise RuntimeError("value %d not delivered" % i)
        out.append((time.perf_counter() - start) * 1000)
    receiver.cancelListen(token)
    return out


def get_latencies(writer, reader, samples):
    key = dht.InfoHash.getRandom()
    put_wait(writer, key, b"stored")
    out = []
    for _ in range(samples):
        start = time.perf_counter()
        values = reader.get(key)
        out.append((time.perf_counter() - start) * 1000)
        if not values:
            raise RuntimeError("get found nothing")
    return out


def put_throughput(node, count):
    lock = threading.Condition()
    state = {"pending": count, "failed": 0}

    def done(ok, nodes):
        with lock:
            state["pending"] -= 1
            if not ok:
                state["failed"] += 1
            lock.notify_all()

    start = time.perf_counter()
    for i in range(count):
        node.put(dht.InfoHash.getRandom(), dht.Value(b"put-%d" % i), done_cb=done)
    with lock:
        if not lock.wait_for(lambda: state["pending"] == 0, timeout=120):
            raise RuntimeError("puts did not complete")
    elapsed = time.perf_counter() - start
    return count / elapsed, state["failed"]


def stop(nodes):
    # join() keeps the GIL while it waits for the DHT thread: wait for the shutdown callback
    # first, or a callback still wanting the GIL would deadlock it.
    for node in nodes:
        stopped = threading.Event()
        node.shutdown(stopped.set)
        stopped.wait(5)
    for node in nodes:
        node.join()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--puts", type=int, default=1000)
    parser.add_argument("--network-id", type=int, default=7_654_321)
    args = parser.parse_args()

    nodes = [start_node(args.network_id) for _ in range(3)]
    port = nodes[0].getBound(socket.AF_INET).getPort()
    for node in nodes[1:]:
        node.bootstrap("127.0.0.1", str(port))
    try:
        warm_up(nodes)
        print("python: network up", file=sys.stderr)
        delivery = delivery_latencies(nodes[0], nodes[2], args.samples)
        gets = get_latencies(nodes[0], nodes[1], args.samples)
        rate, failed = put_throughput(nodes[1], args.puts)
    finally:
        stop(nodes)
    print(json.dumps({
        "impl": "python3-opendht",
        "delivery_ms_median": statistics.median(delivery),
        "get_ms_median": statistics.median(gets),
        "puts_per_s": rate,
        "puts_failed": failed,
        "samples": args.samples,
        "puts": args.puts,
    }))


if __name__ == "__main__":
    main()
