-- A gRPC unary call from nginx with resty.http2 (libh2), no protobuf library.
--
-- gRPC over HTTP/2 is a POST to /<package>.<Service>/<Method> with
-- "content-type: application/grpc" and "te: trailers". The request and the
-- response bodies are length-prefixed messages: one byte (1 = compressed),
-- four bytes of big-endian length, the protobuf message. The outcome is
-- "grpc-status" (0 = OK) and "grpc-message" (percent-encoded) in the
-- response's trailers, or in its headers when the server failed before any
-- message (a "trailers-only" response).
--
-- The service is gRPC's classic greeter, whose messages are tiny enough to
-- encode by hand:
--   service Greeter { rpc SayHello (HelloRequest) returns (HelloReply); }
--   message HelloRequest { string name = 1; }
--   message HelloReply   { string message = 1; }
--
-- Put this file on lua_package_path and, for instance:
--   location = /hello {
--       content_by_lua_block {
--           require("grpc_unary").hello_handler("http://127.0.0.1:50051")
--       }
--   }

local http2 = require "resty.http2"
local pool = require "resty.http2.pool"
local bit = require "bit"

local _M = {}

-- Protobuf, by hand --------------------------------------------------------

-- A base-128 varint: seven bits per byte, lowest first; the high bit says
-- that another byte follows.
local function encode_varint(n)
    local bytes = {}
    repeat
        local low = n % 128
        n = (n - low) / 128
        bytes[#bytes + 1] = string.char(n > 0 and low + 128 or low)
    until n == 0
    return table.concat(bytes)
end
_M.encode_varint = encode_varint

-- The varint at `pos` of `s`: its value and the position after it, or nil
-- when it is cut short or longer than ten bytes.
local function decode_varint(s, pos)
    local value, scale = 0, 1
    for i = pos, math.min(pos + 9, #s) do
        local b = s:byte(i)
        value = value + (b % 128) * scale
        if b < 128 then
            return value, i + 1
        end
        scale = scale * 128
    end
    return nil
end

-- A length-delimited field (wire type 2: string, bytes, nested message):
-- the key (field number * 8 + 2), the length, the bytes.
function _M.string_field(number, value)
    return encode_varint(number * 8 + 2) .. encode_varint(#value) .. value
end

-- The fields of a message as number -> value, for varint and
-- length-delimited fields; fixed 32- and 64-bit fields are skipped. A field
-- seen twice keeps its last value, as protobuf does for scalar fields.
function _M.decode_fields(s)
    local fields, pos = {}, 1
    while pos <= #s do
        local key
        key, pos = decode_varint(s, pos)
        if not key then
            return nil, "protobuf: truncated field key"
        end
        local number, wire_type = (key - key % 8) / 8, key % 8
        if wire_type == 0 then
            fields[number], pos = decode_varint(s, pos)
        elseif wire_type == 2 then
            local length
            length, pos = decode_varint(s, pos)
            if length and pos + length - 1 <= #s then
                fields[number] = s:sub(pos, pos + length - 1)
                pos = pos + length
            else
                pos = nil
            end
        elseif wire_type == 1 or wire_type == 5 then
            pos = pos + (wire_type == 1 and 8 or 4)
        else
            return nil, "protobuf: unsupported wire type " .. wire_type
        end
        if not pos or pos > #s + 1 then
            return nil, "protobuf: field " .. number .. " is truncated"
        end
    end
    return fields
end

-- gRPC framing and status ----------------------------------------------------

-- One uncompressed length-prefixed message.
function _M.frame(message)
    local n = #message
    return string.char(0, bit.band(bit.rshift(n, 24), 255), bit.band(bit.rshift(n, 16), 255),
                       bit.band(bit.rshift(n, 8), 255), bit.band(n, 255)) .. message
end

-- The one message of a unary response body.
function _M.unframe(body)
    if #body < 5 then
        return nil, "the response carries no message"
    end
    local compressed, b1, b2, b3, b4 = body:byte(1, 5)
    if compressed ~= 0 then
        -- We never sent grpc-accept-encoding, so the server may not compress.
        return nil, "the response message is compressed"
    end
    local length = ((b1 * 256 + b2) * 256 + b3) * 256 + b4
    if #body ~= 5 + length then
        return nil, "the response is not exactly one message"
    end
    return body:sub(6)
end

-- grpc-message is percent-encoded: every byte outside printable ASCII, and
-- '%' itself, travels as %XX.
local function percent_decode(s)
    return (s:gsub("%%(%x%x)", function(hex)
        return string.char(tonumber(hex, 16))
    end))
end

-- The reply message of a finished call, or nil, an explanation, and the
-- gRPC status code and message when the server sent one.
local function call_result(status, headers, trailers, body)
    if status ~= 200 then
        -- Not a gRPC answer: a proxy or a plain HTTP server in the way.
        return nil, "HTTP status " .. tostring(status)
    end
    local content_type = headers["content-type"]
    if type(content_type) ~= "string" or content_type:sub(1, 16) ~= "application/grpc" then
        return nil, "the response is not gRPC (content-type " .. tostring(content_type) .. ")"
    end
    -- With no trailers, the status is in the headers (trailers-only).
    local outcome = trailers or headers
    local code = tonumber(outcome["grpc-status"])
    if not code then
        return nil, "the response has no grpc-status"
    end
    if code ~= 0 then
        local message = percent_decode(outcome["grpc-message"] or "")
        return nil, "grpc-status " .. code .. ": " .. message, code, message
    end
    local reply, err = _M.unframe(body)
    if not reply then
        return nil, err, code
    end
    return reply
end

-- The request header fields of a call, as resty.http2's list.
local function call_headers(scheme, authority, path)
    return {
        { name = ":method", value = "POST" },
        { name = ":scheme", value = scheme },
        { name = ":authority", value = authority },
        { name = ":path", value = path },
        { name = "content-type", value = "application/grpc" },
        -- gRPC servers refuse clients that do not announce trailer support.
        { name = "te", value = "trailers" },
        { name = "user-agent", value = "grpc-lua-resty-http2/1.0" },
    }
end

-- Calls -------------------------------------------------------------------

-- A unary call on a resty.http2 client, with the seed's calls: send the
-- request, read the headers, the body, then the trailers.
-- Returns the reply message, or nil, an error, the gRPC status code and the
-- decoded grpc-message (both nil when the call failed below gRPC).
function _M.call(client, scheme, authority, path, message)
    local stream, err = client:send_request(call_headers(scheme, authority, path),
                                            _M.frame(message))
    if not stream then
        return nil, err
    end
    local headers
    headers, err = client:read_headers(stream)
    if not headers then
        return nil, err
    end
    local parts = {}
    while true do
        local data
        data, err = client:read_body(stream)
        if data == nil then
            if err then
                return nil, err
            end
            break -- the trailers arrived
        end
        if data == "" then
            break -- the stream ended without trailers
        end
        parts[#parts + 1] = data
    end
    return call_result(tonumber(headers[":status"]), headers, client:read_trailers(stream),
                       table.concat(parts))
end

-- The same call through the worker's connection pool: `url` is the server's
-- origin followed by the method's path. `opts` are pool.request's options
-- (timeout, tls, pool).
function _M.call_pooled(url, message, opts)
    opts = opts or {}
    local res, err = pool.request(url, {
        method = "POST",
        headers = { ["content-type"] = "application/grpc", ["te"] = "trailers",
                    ["user-agent"] = "grpc-lua-resty-http2/1.0" },
        body = _M.frame(message),
        timeout = opts.timeout,
        tls = opts.tls,
        pool = opts.pool,
    })
    if not res then
        return nil, err
    end
    return call_result(res.status, res.headers, res.trailers, res.body)
end

-- The greeter -------------------------------------------------------------

local SAY_HELLO = "/helloworld.Greeter/SayHello"

local function hello_reply_text(reply)
    local fields, err = _M.decode_fields(reply)
    if not fields then
        return nil, err
    end
    return fields[1] or "" -- proto3 leaves an empty string out
end

-- SayHello through the pool: `upstream` is "http://host:port" (h2c) or
-- "https://host:port". Returns the greeting, or nil, an error, the gRPC
-- status code and message.
function _M.say_hello(upstream, name, opts)
    local reply, err, code, message = _M.call_pooled(upstream .. SAY_HELLO,
                                                     _M.string_field(1, name), opts)
    if not reply then
        return nil, err, code, message
    end
    return hello_reply_text(reply)
end

-- SayHello on a connection of its own, the seed's way: a cosocket,
-- http2.new (with `tls`, resty.http2's TLS options, for an https server),
-- one call, close.
function _M.say_hello_on_own_connection(host, port, name, tls)
    local sock = ngx.socket.tcp()
    sock:settimeout(10000)
    local ok, err = sock:connect(host, port)
    if not ok then
        return nil, "connect: " .. err
    end
    local client
    client, err = http2.new { ctx = sock, recv = sock.receive, send = sock.send, tls = tls }
    if not client then
        sock:close()
        return nil, err
    end
    local reply, code, message
    reply, err, code, message = _M.call(client, tls and "https" or "http",
                                        host .. ":" .. port, SAY_HELLO, _M.string_field(1, name))
    client:close()
    sock:close()
    if not reply then
        return nil, err, code, message
    end
    return hello_reply_text(reply)
end

-- An nginx handler: GET ?name=NAME answers the greeting; a gRPC error
-- becomes 502 with the server's status and message.
function _M.hello_handler(upstream, opts)
    local name = ngx.unescape_uri(ngx.var.arg_name or "world")
    local greeting, err = _M.say_hello(upstream, name, opts)
    if not greeting then
        ngx.status = ngx.HTTP_BAD_GATEWAY
        ngx.say("SayHello failed: ", err)
        return
    end
    ngx.say(greeting)
end

return _M
