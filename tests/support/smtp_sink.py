#!/usr/bin/python3
"""A local SMTP server that keeps every message it accepts, for the e-mail channel's tests and for
trying Ordo's e-mails by hand.

  smtp_sink.py serve --port 2525 --dir /tmp/mail [--temp-fail ADDR:N] [--perm-fail ADDR] [--print]
      Accepts mail on 127.0.0.1:PORT and writes each message to DIR/NNNN.eml. --temp-fail answers
      451 to the first N RCPT TO:<ADDR>, --perm-fail answers 550 to every one. Prints "ready" once
      it listens; runs until SIGTERM or SIGINT.
  smtp_sink.py parse FILE
      Parses FILE with Python's email module and prints it as JSON: headers, decoded subject,
      the MIME parts (decoded) and the parser's defects.
"""
import argparse
import email
import email.policy
import email.utils
import json
import os
import signal
import sys
import threading

RECEIVED_LOCK = threading.Lock()


class Handler:
    def __init__(self, directory, temp_fail, perm_fail, echo):
        self.directory = directory
        self.temp_fail = temp_fail  # address -> refusals left
        self.perm_fail = perm_fail
        self.echo = echo
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.perm_fail:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if self.temp_fail.get(address, 0) > 0:
            self.temp_fail[address] -= 1
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with RECEIVED_LOCK:
            self.count += 1
            name = "%04d.eml" % self.count
        path = os.path.join(self.directory, name)
        # Written whole, then renamed: a reader never sees half a message.
        with open(path + ".tmp", "wb") as out:
            out.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        if self.echo:
            print("---- %s from %s to %s" % (name, envelope.mail_from, ", ".join(envelope.rcpt_tos)))
            print(parse(path)["text"], flush=True)
        return "250 2.0.0 accepted"


def serve(args):
    from aiosmtpd.controller import Controller

    os.makedirs(args.dir, exist_ok=True)
    temp_fail = {}
    for item in args.temp_fail:
        address, _, count = item.rpartition(":")
        temp_fail[address] = int(count)
    handler = Handler(args.dir, temp_fail, set(args.perm_fail), args.print)
    controller = Controller(handler, hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


def parse(path):
    with open(path, "rb") as source:
        message = email.message_from_binary_file(source, policy=email.policy.default)
    parts = []
    text = ""
    for part in message.walk():
        if part.is_multipart():
            continue
        content = part.get_content()
        parts.append({"type": part.get_content_type(), "charset": part.get_content_charset(),
                      "content": content})
        if part.get_content_type() == "text/plain":
            text = content
    defects = [type(d).__name__ for d in message.defects]
    for part in message.walk():
        defects += [type(d).__name__ for d in part.defects]
    date = message["Date"]
    return {
        "from": str(message["From"]),
        "to": str(message["To"]),
        "subject": str(message["Subject"]),
        "date": str(date),
        "dateValid": email.utils.parsedate_to_datetime(str(date)) is not None if date else False,
        "messageId": str(message["Message-ID"]),
        "mimeVersion": str(message["MIME-Version"]),
        "contentType": message.get_content_type(),
        "boundary": message.get_boundary() or "",
        "parts": parts,
        "text": text,
        "defects": defects,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_args = commands.add_parser("serve")
    serve_args.add_argument("--port", type=int, required=True)
    serve_args.add_argument("--dir", required=True)
    serve_args.add_argument("--temp-fail", action="append", default=[])
    serve_args.add_argument("--perm-fail", action="append", default=[])
    serve_args.add_argument("--print", action="store_true")
    parse_args = commands.add_parser("parse")
    parse_args.add_argument("file")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args)
    else:
        json.dump(parse(args.file), sys.stdout)


if __name__ == "__main__":
    main()
