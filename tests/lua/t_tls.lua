-- resty.http2 over TLS through libh2's TLS filter, on a plain cosocket:
-- /t/tls?server=NAME&port=P&docroot=D&ca=CA.pem  one real server's TLS port
--   [&wronghost=P&untrusted=P&untrusted_ca=F]   the certificate failures
--   [&mtls=P&cert=F&key=F]                      a server wanting a client cert

local http2 = require "resty.http2"
local h2_tls = require "resty.http2.tls"
local t = require "harness"

local args = ngx.req.get_uri_args()
local port = tonumber(args.port)
local docroot, ca = args.docroot, args.ca
local check = t.checker((args.server or "?") .. " tls")

local function tls_client(p, tls_opts, key, pool)
    local sock, err = t.connect(p, pool)
    if not sock then
        return nil, err
    end
    local client
    client, err = http2.new { ctx = sock, recv = sock.receive, send = sock.send,
                              tls = tls_opts, key = key }
    if not client then
        sock:close()
        return nil, err
    end
    return client, sock
end

local function req(method, path, extra)
    return t.request_headers("localhost:" .. port, "https", method, path, extra)
end

local verified = { server_name = "localhost", ca_file = ca }

-- Options are checked before any byte is sent.
check(select(2, h2_tls.handshake(ngx.say, ngx.say, nil, {}))
      == "tls option server_name is required (or verify = false)", "server_name required")
check(select(2, h2_tls.handshake(ngx.say, ngx.say, nil, { server_name = 1 }))
      == "tls option server_name must be a string", "option types checked")
check(select(2, http2.new { recv = ngx.say, send = ngx.say, tls = "yes" })
      == "tls must be a table of TLS options", "new() refuses a non-table tls")
local _, err = tls_client(port, { server_name = "localhost", ca_file = "/nonexistent/ca.pem" })
check(err and err:find("cannot load CA file", 1, true) and err:find("/nonexistent/ca.pem", 1, true),
      "a missing CA file is named", err)

-- GET, HEAD, 1 MiB both ways, several streams at once.
local pool = "tls-" .. port
local client, sock = tls_client(port, verified, nil, pool)
check(client ~= nil, "handshake with ALPN h2, certificate verified", sock)
if not client then
    ngx.say("done")
    return
end
local alpn, version = client.transport:info()
check(alpn == "h2" and version:match("^TLSv1%.[23]$"), "ALPN h2 over TLS 1.2+", alpn .. " " .. version)

local stream = client:send_request(req("GET", "/1k.bin"))
local headers = stream and client:read_headers(stream)
local body = stream and t.read_all(client, stream)
check(headers and headers[":status"] == "200" and body == t.read_file(docroot .. "/1k.bin"),
      "GET /1k.bin")

stream = client:send_request(req("GET", "/1m.bin"))
body = stream and t.read_all(client, stream)
check(body == t.read_file(docroot .. "/1m.bin"), "GET 1 MiB (window updates)", body and #body)

stream = client:send_request(req("HEAD", "/1k.bin"))
headers = stream and client:read_headers(stream)
body = stream and t.read_all(client, stream)
check(headers and headers[":status"] == "200" and body == "", "HEAD")

local upload = t.read_file(docroot .. "/1m.bin")
stream, err = client:send_request(req("POST", "/echo"), upload)
body = stream and t.read_all(client, stream)
check(body == upload, "POST 1 MiB echoed", err or (body and #body))

local pieces, sent = { "tls-", "function-", "body" }, 0
stream = client:send_request(req("POST", "/echo"), function()
    sent = sent + 1
    return pieces[sent], sent == #pieces
end)
body = stream and t.read_all(client, stream)
check(body == "tls-function-body", "POST function body", body)

local streams, all_ok = {}, true
for i = 1, 20 do
    streams[i] = client:send_request(req("GET", "/16k.bin"))
end
local sixteen = t.read_file(docroot .. "/16k.bin")
for i = 20, 1, -1 do
    all_ok = all_ok and streams[i] and t.read_all(client, streams[i]) == sixteen
end
check(all_ok, "20 streams at once, read in reverse order")

local ok
ok, err = client:ping()
check(ok, "PING answered", err)

local n, failures = 200, 0
for _ = 1, n do
    stream = client:send_request(req("GET", "/1k.bin"))
    if not (stream and #(t.read_all(client, stream) or "") == 1024) then
        failures = failures + 1
    end
end
check(failures == 0, n .. " sequential requests on one TLS session", failures)

-- keepalive(key): the TLS session parks with the session; the TCP
-- connection goes back to nginx's pool and comes out again.
client:keepalive(pool)
sock:setkeepalive(10000, 1)
local again, sock2 = tls_client(port, verified, pool, pool)
check(again == client, "keepalive(key) hands back the same TLS session", sock2)
if again then
    stream = again:send_request(req("GET", "/1k.bin"))
    body = stream and t.read_all(again, stream)
    check(body and #body == 1024, "reused TLS session serves a request")
    again:close()
    sock2:close()
end

-- IP-address server names: no SNI, the certificate's IP entry verified.
local by_ip
by_ip, err = tls_client(port, { server_name = "127.0.0.1", ca_file = ca })
check(by_ip ~= nil, "server_name 127.0.0.1 verified against the IP entry", err)

-- Certificate failures, with the reason.
if args.wronghost then
    _, err = tls_client(tonumber(args.wronghost), verified)
    check(err and err:find("hostname mismatch", 1, true), "a certificate for another host refused", err)
    _, err = tls_client(tonumber(args.untrusted), verified)
    check(err and err:find("certificate verify failed", 1, true), "an untrusted CA refused", err)
    local insecure = tls_client(tonumber(args.untrusted), { verify = false })
    check(insecure ~= nil, "verify = false connects anyway")
    local trusted = tls_client(tonumber(args.untrusted),
                               { server_name = "localhost", ca_file = args.untrusted_ca })
    check(trusted ~= nil, "the right ca_file makes the same server trusted")
end

-- A server that requires a client certificate (APNs-style).
if args.mtls then
    local mport = tonumber(args.mtls)
    local mreq = t.request_headers("localhost:" .. mport, "https", "GET", "/whoami")
    local c = tls_client(mport, { server_name = "localhost", ca_file = ca,
                                  cert_file = args.cert, key_file = args.key })
    stream = c and c:send_request(mreq)
    headers = stream and c:read_headers(stream)
    body = stream and t.read_all(c, stream)
    check(headers and headers[":status"] == "200" and body and body:find("CN=", 1, true),
          "client certificate presented and accepted", body)
    c = tls_client(mport, verified)
    stream = c and c:send_request(mreq)
    headers = stream and c:read_headers(stream)
    check(headers and headers[":status"] == "400", "without the certificate nginx answers 400",
          headers and headers[":status"])
    _, err = tls_client(mport, { server_name = "localhost", ca_file = ca,
                                 cert_file = "/nonexistent/client.pem" })
    check(err and err:find("/nonexistent/client.pem", 1, true), "a missing client certificate is named", err)
end
ngx.say("done")
