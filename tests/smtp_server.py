"""A real SMTP server for tests (aiosmtpd on 127.0.0.1), whose answers tests program per recipient.

Recipients decide what the server does (the local part's prefix):

- ``bounce…``: 550 for the recipient (permanent);
- ``later…``: 451 for the recipient the first ``temporary_refusals`` times (temporary);
- ``drop…``: the connection is closed in the middle of the message the first time;
- ``slow…``: the server takes ``slow_seconds`` before answering the message.

Every accepted message is kept in :attr:`SmtpServer.messages` as parsed :class:`email.message.EmailMessage`.
"""
from __future__ import annotations

import asyncio
import socket
from collections import Counter
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        self.server.rcpt_attempts[address] += 1
        if local.startswith("bounce"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("later") and self.server.rcpt_attempts[address] <= self.server.temporary_refusals:
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        recipient = envelope.rcpt_tos[0]
        local = recipient.split("@")[0]
        self.server.data_attempts[recipient] += 1
        if local.startswith("drop") and self.server.data_attempts[recipient] == 1:
            session.peer and server.transport.close()  # the connection is gone before the answer
            return "250 never seen"
        if local.startswith("slow"):
            await asyncio.sleep(self.server.slow_seconds)
        self.server.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, temporary_refusals: int = 1, slow_seconds: float = 3.0):
        self.port = free_port()
        self.temporary_refusals = temporary_refusals
        self.slow_seconds = slow_seconds
        self.messages: list = []
        self.rcpt_attempts: Counter = Counter()
        self.data_attempts: Counter = Counter()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, recipient: str) -> list:
        return [message for message in self.messages if message["To"] == recipient]
