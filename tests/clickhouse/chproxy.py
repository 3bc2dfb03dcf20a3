#!/usr/bin/env python3
"""chproxy.py - an HTTP proxy in front of a ClickHouse server that fails on
purpose, for the loader's failure tests.

usage: chproxy.py PORTFILE UPSTREAM_PORT [--fail-first N] [--link-fail N]
                  [--hold-insert K FLAG]

--fail-first N   answer the first N requests with 503 (a balancer's "try
                 again"), forward the rest
--link-fail N    answer the first N SELECT requests with the 500 and
                 "Code: 101" exception of a Distributed query whose link
                 between servers broke, forward the rest
--hold-insert K  forward the first K-1 INSERT requests, then hold the K-th
                 one unanswered (never forwarded) after creating FLAG, so a
                 test can kill the loader while it waits
The proxy writes its own port to PORTFILE once it listens.
"""
import http.server
import os
import sys
import threading
import urllib.error
import urllib.request

args = sys.argv[1:]
portfile, upstream = args[0], int(args[1])
fail_first = int(args[args.index('--fail-first') + 1]) if '--fail-first' in args else 0
link_fail = int(args[args.index('--link-fail') + 1]) if '--link-fail' in args else 0
hold = int(args[args.index('--hold-insert') + 1]) if '--hold-insert' in args else 0
flag = args[args.index('--hold-insert') + 2] if hold else None
lock = threading.Lock()
seen = {'all': 0, 'insert': 0, 'select': 0}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *a):
        pass

    def reply(self, code, body, ctype='text/plain'):
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        is_insert = 'query=INSERT' in self.path
        is_select = body.lstrip().upper().startswith(b'SELECT')
        with lock:
            seen['all'] += 1
            n_all = seen['all']
            if is_insert:
                seen['insert'] += 1
            n_ins = seen['insert']
            if is_select:
                seen['select'] += 1
            n_sel = seen['select']
        if n_all <= fail_first:
            return self.reply(503, b'Service Unavailable\n')
        if is_select and n_sel <= link_fail:
            return self.reply(500, b'Code: 101, e.displayText() = DB::NetException: '
                              b'Unexpected packet Data received from client, '
                              b'e.what() = DB::Exception\n')
        if hold and is_insert and n_ins >= hold:
            open(flag, 'w').close()
            threading.Event().wait()          # until the loader is killed
        req = urllib.request.Request('http://127.0.0.1:%d%s' % (upstream, self.path),
                                     data=body, method='POST')
        if self.headers.get('Authorization'):
            req.add_header('Authorization', self.headers['Authorization'])
        try:
            with urllib.request.urlopen(req) as r:
                self.reply(r.status, r.read())
        except urllib.error.HTTPError as e:
            self.reply(e.code, e.read())

    do_GET = do_POST


srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Proxy)
srv.daemon_threads = True
tmp = portfile + '.tmp'
with open(tmp, 'w') as f:
    f.write(str(srv.server_address[1]))
os.rename(tmp, portfile)
srv.serve_forever()
