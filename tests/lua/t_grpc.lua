-- The gRPC example (examples/lua/grpc_unary.lua, shown in docs/lua-examples.md)
-- against a real gRPC server, Debian's python3-grpcio (tests/lua/grpc_server.py):
-- /t/grpc?h2c=P&tls=P&ca=F
--   the hand-made protobuf and gRPC framing, then for each way of calling
--   (the seed's client on its own connection, the pool) over h2c and TLS:
--   an OK reply, an error status with its percent-encoded message, an
--   unknown method, and a 1 MiB message both ways; then the nginx handler.

local grpc = require "grpc_unary"
local pool = require "resty.http2.pool"
local t = require "harness"

local args = ngx.req.get_uri_args()
local check = t.checker("grpc")
local h2c_port, tls_port = tonumber(args.h2c), tonumber(args.tls)
local tls = { server_name = "localhost", ca_file = args.ca }

-- The encoders, against bytes worked out from the protobuf and gRPC specs.
check(grpc.encode_varint(0) == "\0" and grpc.encode_varint(1) == "\1"
      and grpc.encode_varint(150) == "\150\1" and grpc.encode_varint(300) == "\172\2"
      and grpc.encode_varint(2 ^ 32) == "\128\128\128\128\16",
      "varints (150 is 96 01, the protobuf guide's example)")
check(grpc.string_field(1, "abc") == "\10\3abc", "a string field: key 0x0a, length, bytes")
check(grpc.frame("abc") == "\0\0\0\0\3abc" and #grpc.frame(("x"):rep(70000)) == 70005
      and grpc.frame(("x"):rep(70000)):sub(1, 5) == "\0\0\1\17\112",
      "gRPC length prefix (big-endian length)")
local fields = grpc.decode_fields(grpc.string_field(1, "a") .. "\16\172\2"
                                  .. "\29\1\2\3\4" .. grpc.string_field(7, ("y"):rep(200)))
check(fields and fields[1] == "a" and fields[2] == 300 and fields[3] == nil
      and fields[7] == ("y"):rep(200), "decode_fields: string, varint, fixed32 skipped, long string")
local _, err = grpc.decode_fields("\10\5ab")
check(err == "protobuf: field 1 is truncated", "a truncated field is refused", err)
_, err = grpc.unframe("\0\0\0\0\9abc")
check(err == "the response is not exactly one message", "a short message is refused", err)

local big_name = ("0123456789abcdef"):rep(65536) -- 1 MiB

-- ways[i] = { label, function(name) -> greeting, err, code, message }
local ways = {
    { "own connection h2c", function(name)
        return grpc.say_hello_on_own_connection("127.0.0.1", h2c_port, name)
    end },
    { "own connection tls", function(name)
        return grpc.say_hello_on_own_connection("127.0.0.1", tls_port, name, tls)
    end },
    { "pool h2c", function(name)
        return grpc.say_hello("http://127.0.0.1:" .. h2c_port, name)
    end },
    { "pool tls", function(name)
        return grpc.say_hello("https://127.0.0.1:" .. tls_port, name, { tls = tls })
    end },
}
for _, way in ipairs(ways) do
    local label, say_hello = way[1], way[2]
    local greeting, e, code, message = say_hello("world")
    check(greeting == "Hello world", label .. ": OK status and the decoded reply", e or greeting)
    greeting, e, code, message = say_hello("")
    check(not greeting and code == 3
          and message == "name must not be empty (100% of requests need one)",
          label .. ": INVALID_ARGUMENT (3) and the decoded grpc-message", e)
    greeting, e = say_hello(big_name)
    check(greeting == "Hello " .. big_name, label .. ": a 1 MiB message both ways",
          e or (greeting and #greeting))
end

-- A method the server does not have: grpc's own UNIMPLEMENTED (12).
local reply, e, code = grpc.call_pooled("http://127.0.0.1:" .. h2c_port
                                        .. "/helloworld.Greeter/SayGoodbye", "")
check(not reply and code == 12, "pool: an unknown method is UNIMPLEMENTED (12)", e)

-- The seed's call on an existing client keeps the session usable after an
-- error status: three calls on one connection.
local sock = assert(t.connect(h2c_port))
local client = require("resty.http2").new { ctx = sock, recv = sock.receive, send = sock.send }
local results = {}
for i, name in ipairs { "one", "", "three" } do
    local r, _, c = grpc.call(client, "http", "127.0.0.1:" .. h2c_port,
                              "/helloworld.Greeter/SayHello", grpc.string_field(1, name))
    results[i] = r and grpc.decode_fields(r)[1] or c
end
check(results[1] == "Hello one" and results[2] == 3 and results[3] == "Hello three",
      "three calls on one client, an error status between two replies",
      table.concat(results, ", "))
client:close()
sock:close()

-- The example's nginx handler, through a location of the harness.
local before = pool.stats()
local res = ngx.location.capture("/example/grpc_hello",
    { args = { upstream = "http://127.0.0.1:" .. h2c_port, name = "nginx handler" } })
check(res.status == 200 and res.body == "Hello nginx handler\n", "the nginx handler answers",
      res.status .. " " .. res.body)
res = ngx.location.capture("/example/grpc_hello",
    { args = { upstream = "http://127.0.0.1:" .. h2c_port, name = "" } })
check(res.status == 502 and res.body:find("grpc-status 3: name must not be empty", 1, true),
      "the nginx handler turns an error status into 502", res.status .. " " .. res.body)
check(pool.stats().connections_opened == before.connections_opened,
      "the handler reused the pooled h2c connection")
ngx.say("done")
