-- The seed's defects, against tests/lua/quirks_server.py (python3-h2):
-- /t/quirks?port=P. Padded DATA decoded, 1xx kept apart from the final
-- response, the server's PING answered, a connection-specific response
-- field removed (as the seed did), and uploads cut
-- to the 16,384-byte frames a server that advertises nothing allows.

local http2 = require "resty.http2"
local t = require "harness"

local port = tonumber(ngx.var.arg_port)
local check = t.checker("quirks")

local function req(method, path)
    return t.request_headers("127.0.0.1:" .. port, "http", method, path)
end

local sock = assert(t.connect(port))
local client, err = http2.new { ctx = sock, recv = sock.receive, send = sock.send }
check(client ~= nil, "session", err)

local function fetch(method, path, body)
    local stream, e = client:send_request(req(method, path), body)
    if not stream then
        return nil, e
    end
    local headers
    headers, e = client:read_headers(stream)
    if not headers then
        return nil, e, stream
    end
    local data
    data, e = t.read_all(client, stream)
    return headers, data or e, stream
end

local expected = {}
for i = 0, 99999 do
    expected[#expected + 1] = string.char((i * 7 + 3) % 251)
end
expected = table.concat(expected)
local headers, body = fetch("GET", "/padded")
check(headers and headers[":status"] == "200" and body == expected,
      "padded DATA frames: padding stripped, body intact", body and #body)

local stream
headers, body, stream = fetch("GET", "/early-hints")
check(headers and headers[":status"] == "200" and body == "final", "final response after a 103",
      headers and headers[":status"])
check(stream and stream.interim and stream.interim[1][":status"] == "103"
      and stream.interim[1]["link"] == "</style.css>; rel=preload", "the 103 kept in stream.interim")

headers, body = fetch("GET", "/ping-first")
check(body == "acked", "the server's PING answered before its response", body)

headers, body = fetch("GET", "/conn-specific")
check(headers and headers[":status"] == "200" and headers["connection"] == nil
      and body == "bad", "a connection-specific response field removed, as the seed did",
      body)
headers, body = fetch("GET", "/padded")
check(headers and body == expected, "the session serves the next request")

local upload = string.rep("u", 300000)
headers, body = fetch("POST", "/upload", upload)
local got, largest = (body or ""):match("^(%d+) (%d+)$")
check(tonumber(got) == #upload, "300,000-byte upload received whole", body)
check(tonumber(largest) and tonumber(largest) <= 16384,
      "DATA frames within the server's 16,384-byte default (none advertised)", largest)

client:close()
sock:close()

-- A DATA frame longer than our SETTINGS_MAX_FRAME_SIZE (256 KiB by
-- default): the connection ends at its 9-byte header, the payload never
-- awaited (the server does not send it; a wait would be a timeout).
sock = assert(t.connect(port))
sock:settimeout(5000)
client = assert(http2.new { ctx = sock, recv = sock.receive, send = sock.send })
stream = client:send_request(req("GET", "/oversized-frame"))
headers = stream and client:read_headers(stream)
body, err = client:read_body(stream)
check(headers and headers[":status"] == "200" and body == nil and err
      and err:find("FRAME_SIZE", 1, true) ~= nil,
      "a frame over our limit ends the connection at its header", err)
sock:close()
ngx.say("done")
