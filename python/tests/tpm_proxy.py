"""A TCTI proxy between modelseal and a swtpm, for test_license_tpm.py: what a licensee can put behind
MODELSEAL_TPM_TCTI. It listens on SOCKET and SOCKET.ctrl (the layout of `swtpm:path=SOCKET`) and relays to
UPSTREAM and UPSTREAM.ctrl. The data socket carries raw TPM 2.0 commands and responses, each framed by the
size in its 10-byte header; the control socket's requests and answers are relayed as they come.

Every TPM2_NV_Read answer that passes through is recorded in FOLDER/nv-read-*.bin. While FOLDER/replay exists,
a TPM2_NV_Read is not forwarded: the proxy answers with the first answer it recorded (an earlier counter
value), as a licensee replaying old counter answers would.

Usage: tpm_proxy.py SOCKET UPSTREAM FOLDER   (runs until killed; prints "ready" once listening)
"""
import os
import socket
import sys
import threading

NV_READ = 0x0000014E


def read_exactly(connection, count):
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def read_message(connection):
    header = read_exactly(connection, 10)
    return header + read_exactly(connection, int.from_bytes(header[2:6], "big") - 10)


def relay_data(client, upstream_path, folder):
    upstream = socket.socket(socket.AF_UNIX)
    upstream.connect(upstream_path)
    try:
        while True:
            command = read_message(client)
            code = int.from_bytes(command[6:10], "big")
            recorded = sorted(name for name in os.listdir(folder) if name.startswith("nv-read-"))
            if code == NV_READ and recorded and os.path.exists(os.path.join(folder, "replay")):
                with open(os.path.join(folder, recorded[0]), "rb") as answer:
                    client.sendall(answer.read())
                continue
            upstream.sendall(command)
            response = read_message(upstream)
            if code == NV_READ:
                with open(os.path.join(folder, "nv-read-%06d.bin" % len(recorded)), "wb") as out:
                    out.write(response)
            client.sendall(response)
    except (ConnectionError, OSError):
        pass
    finally:
        upstream.close()
        client.close()


def relay_control(client, upstream_path):
    """The control channel is request-response (tcti-swtpm connects, sends one command, reads the answer and
    closes): relayed in one thread, so closing one side closes the other at once."""
    upstream = socket.socket(socket.AF_UNIX)
    upstream.connect(upstream_path)
    try:
        while True:
            request = client.recv(65536)
            if not request:
                break
            upstream.sendall(request)
            answer = upstream.recv(65536)
            if not answer:
                break
            client.sendall(answer)
    except OSError:
        pass
    finally:
        upstream.close()
        client.close()


def serve(path, handler):
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(8)

    def accept():
        while True:
            client, _ = listener.accept()
            threading.Thread(target=handler, args=(client,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    path, upstream, folder = sys.argv[1:]
    serve(path, lambda client: relay_data(client, upstream, folder))
    serve(path + ".ctrl", lambda client: relay_control(client, upstream + ".ctrl"))
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
