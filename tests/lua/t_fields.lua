-- Response fields through resty.http2 against one real server (h2c), run
-- by tests/lua/run.sh: /t/fields?server=NAME&port=P&path=/...&expect=...
--   expect=trailers   the response carries x-trailer-one: one and
--                     x-trailer-two: two (nginx /trailers/, nghttpd's
--                     trailers port); read_body returns nil for them, the
--                     request() callback gets them, the session stays usable.
--   expect=bigheader  the response carries x-big-header of `len` bytes
--                     (HEADERS + CONTINUATION).
--   expect=harness    the harness nginx's own h2c server: duplicate
--                     response fields, a 40 KiB request field that
--                     needs CONTINUATION on the way out, and the
--                     connection-specific fields of add_header removed
--                     (or, with reject_connection_headers, the stream
--                     failed).

local http2 = require "resty.http2"

local port = tonumber(ngx.var.arg_port)
local server = ngx.var.arg_server or "?"
local path = ngx.var.arg_path
local expect = ngx.var.arg_expect

local function check(cond, what, detail)
    ngx.say((cond and "ok - " or "not ok - ") .. server .. " " .. expect .. ": "
            .. what .. ((not cond and detail) and (" (" .. tostring(detail) .. ")") or ""))
    ngx.flush(true)
end

local sock = ngx.socket.tcp()
sock:settimeout(10000)
assert(sock:connect("127.0.0.1", port))
local client = assert(http2.new { ctx = sock, recv = sock.receive, send = sock.send })

local function req(other_path)
    return {
        { name = ":authority", value = "127.0.0.1:" .. port },
        { name = ":method", value = "GET" },
        { name = ":path", value = other_path or path },
        { name = ":scheme", value = "http" },
    }
end

if expect == "trailers" then
    for round = 1, 3 do
        local stream, err = client:send_request(req())
        local headers = stream and client:read_headers(stream)
        local size, last, lerr = 0, nil, nil
        while headers do
            last, lerr = client:read_body(stream)
            if last == nil or last == "" then break end
            size = size + #last
        end
        local t = stream and client:read_trailers(stream)
        check(headers and headers[":status"] == "200" and size > 0,
              "round " .. round .. ": headers and body", err or lerr)
        check(last == nil and lerr == nil, "round " .. round .. ": read_body returns nil for trailers",
              tostring(last) .. " " .. tostring(lerr))
        check(t and t["x-trailer-one"] == "one" and t["x-trailer-two"] == "two",
              "round " .. round .. ": trailers read")
    end
    local got
    local ok, err = client:request(req(), nil, function() end, function() end,
        function(ctx, trailers) got = trailers end)
    check(ok and got and got["x-trailer-one"] == "one", "request(): on_trailers_reach", err)
    ok, err = client:request(req(), nil, function() end, function() end)
    check(ok, "request() without on_trailers_reach on a trailers response", err)
elseif expect == "bigheader" then
    local want = tonumber(ngx.var.arg_len)
    for round = 1, 2 do
        local stream, err = client:send_request(req())
        local headers
        if stream then headers, err = client:read_headers(stream) end
        local big = headers and headers["x-big-header"]
        check(type(big) == "string" and #big == want,
              "round " .. round .. ": " .. want .. "-byte header (CONTINUATION)",
              err or (big and #big))
        while stream do
            local data = client:read_body(stream)
            if not data or data == "" then break end
        end
    end
elseif expect == "harness" then
    local stream, err = client:send_request(req("/dup"))
    local headers = stream and client:read_headers(stream)
    local dup = headers and headers["x-dup"]
    check(type(dup) == "table" and dup[1] == "one" and dup[2] == "two" and #dup == 2,
          "duplicate response fields become an array, in order", err or tostring(dup))
    local cookies = headers and headers["set-cookie"]
    check(type(cookies) == "table" and #cookies == 2, "two set-cookie fields kept apart")
    while stream and (client:read_body(stream) or "") ~= "" do end
    local big = string.rep("abcdefgh", 5120) -- 40 KiB: HEADERS + CONTINUATION
    local fields = req("/field-size")
    fields[#fields + 1] = { name = "x-big", value = big }
    stream, err = client:send_request(fields)
    headers = stream and client:read_headers(stream)
    local body = ""
    while stream do
        local data = client:read_body(stream)
        if not data or data == "" then break end
        body = body .. data
    end
    check(headers and headers[":status"] == "200" and body == "x-big " .. #big .. "\n",
          "a 40 KiB request field sent over CONTINUATION arrives whole", err or body)

    -- nginx sends add_header's connection-specific fields over HTTP/2.
    stream, err = client:send_request(req("/conn-fields"))
    if stream then
        headers, err = client:read_headers(stream)
        body = client:read_body(stream)
    end
    check(headers and headers[":status"] == "200" and headers["x-kept"] == "yes"
          and headers["connection"] == nil and headers["keep-alive"] == nil
          and headers["upgrade"] == nil and headers["proxy-connection"] == nil
          and body == "fields\n",
          "connection-specific response fields removed, the rest kept", err)
    while stream and (client:read_body(stream) or "") ~= "" do end
    stream, err = client:send_request(req("/dup"))
    headers = stream and client:read_headers(stream)
    check(headers and headers[":status"] == "200", "the session goes on after them", err)
    while stream and (client:read_body(stream) or "") ~= "" do end

    local strict_sock = ngx.socket.tcp()
    strict_sock:settimeout(10000)
    assert(strict_sock:connect("127.0.0.1", port))
    local strict = assert(http2.new { ctx = strict_sock, recv = strict_sock.receive,
                                      send = strict_sock.send,
                                      reject_connection_headers = true })
    stream, err = strict:send_request(req("/conn-fields"))
    if stream then
        headers, err = strict:read_headers(stream)
    end
    check(stream and headers == nil and err == "stream reset",
          "reject_connection_headers: the response fails its stream", err)
    stream, err = strict:send_request(req("/dup"))
    headers = stream and strict:read_headers(stream)
    check(headers and headers[":status"] == "200",
          "reject_connection_headers: the session goes on", err)
    strict:close()
    strict_sock:close()
    check(select(2, http2.new { recv = ngx.say, send = ngx.say,
                                reject_connection_headers = "yes" })
          == "reject_connection_headers must be a boolean",
          "reject_connection_headers: a non-boolean refused")
end
client:close()
sock:close()
ngx.say("done")
