#!/usr/bin/env python3
"""slow_tcp.py PORT UPSTREAM_HOST:PORT DELAY_MS

A TCP proxy that holds every chunk the upstream sends back for DELAY_MS before passing it on:
an object store answering slowly (each response, and each piece of a large one, arrives late).
Requests go through untouched. Prints "ready" once it listens.
"""
import asyncio, sys

port, upstream, delay = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]) / 1000.0
uhost, uport = upstream.rsplit(":", 1)


async def pipe(reader, writer, slow):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if slow:
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def handle(creader, cwriter):
    try:
        ureader, uwriter = await asyncio.open_connection(uhost, int(uport))
    except OSError:
        cwriter.close()
        return
    await asyncio.gather(pipe(creader, uwriter, False), pipe(ureader, cwriter, True))


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
