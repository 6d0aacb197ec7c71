"""A minimal NTP server (RFC 5905 server mode, stratum 2) answering with this machine's clock.

Run inside a Lab's router namespace on the plan's NTP addresses, it stands in for the park NTP service, so the
hosts' chrony really selects a server and measures its offset (LOG-02 evidence is a measurement). It never
sets any clock. Usage: python3 sntp.py ADDRESS...  (one socket per address, so each answer leaves from the
address the client asked: a wildcard socket would answer from the router's interface address instead)
"""

from __future__ import annotations

import select
import socket
import struct
import sys
import time

NTP_EPOCH = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01


def _stamp(t: float) -> bytes:
    whole = int(t)
    return struct.pack("!II", whole + NTP_EPOCH, int((t - whole) * 2**32))


def answer(request: bytes, received: float) -> bytes | None:
    if len(request) < 48 or request[0] & 0x7 != 3:  # client mode only
        return None
    version = (request[0] >> 3) & 0x7
    header = struct.pack("!BBbbII4s", (version << 3) | 4, 2, request[2], -20, 0x10, 0x10, b"\x7f\x00\x00\x02")
    return header + _stamp(received - 16) + request[40:48] + _stamp(received) + _stamp(time.time())


def main(addresses: list[str]) -> None:
    socks = []
    for address in addresses:
        sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((address, 123))
        socks.append(sock)
    print("ready", flush=True)
    while True:
        for sock in select.select(socks, [], [])[0]:
            data, peer = sock.recvfrom(512)
            reply = answer(data, time.time())
            if reply:
                sock.sendto(reply, peer)


if __name__ == "__main__":
    main(sys.argv[1:])
