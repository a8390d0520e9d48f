-- GOAWAY in flight through resty.http2, run by tests/lua/run.sh against the
-- nginx peer that sends GOAWAY(NO_ERROR) once its 100th request arrives
-- (tests/peers/ports.env): /t/goaway?port=P&after=100
-- 120 requests go out at once. The first 100 complete. Each of the others
-- fails with the seed's "connection went away" and stream.retryable set, or
-- is refused at send_request. Nothing hangs.

local http2 = require "resty.http2"

local port = tonumber(ngx.var.arg_port)
local after = tonumber(ngx.var.arg_after)

local function check(cond, what, detail)
    ngx.say((cond and "ok - " or "not ok - ") .. "nginx goaway: " .. what
            .. ((not cond and detail) and (" (" .. tostring(detail) .. ")") or ""))
    ngx.flush(true)
end

local sock = ngx.socket.tcp()
sock:settimeout(10000)
assert(sock:connect("127.0.0.1", port))
local client = assert(http2.new { ctx = sock, recv = sock.receive, send = sock.send })
local request = {
    { name = ":authority", value = "127.0.0.1:" .. port },
    { name = ":method", value = "GET" },
    { name = ":path", value = "/1k.bin" },
    { name = ":scheme", value = "http" },
}

local streams, refused = {}, 0
for i = 1, after + 20 do
    local stream, err = client:send_request(request)
    if stream then
        streams[#streams + 1] = stream
    elseif err == "goaway frame was received or sent" then
        refused = refused + 1
    else
        check(false, "send_request " .. i, err)
    end
end

local completed, retryable, other = 0, 0, nil
for _, stream in ipairs(streams) do
    local headers, err = client:read_headers(stream)
    local size = 0
    while headers do
        local data
        data, err = client:read_body(stream)
        if data == nil or data == "" then break end
        size = size + #data
    end
    if headers and not err and size == 1024 then
        completed = completed + 1
    elseif err == "connection went away" and stream.retryable then
        retryable = retryable + 1
    else
        other = other or tostring(err)
    end
end
check(completed == after, after .. " requests completed", completed)
check(retryable + refused == 20 and other == nil,
      "the other 20 failed as retryable or were refused",
      retryable .. " retryable, " .. refused .. " refused, other: " .. tostring(other))
check(client.goaway_received, "GOAWAY seen by the client")
local stream, err = client:send_request(request)
check(stream == nil and err == "goaway frame was received or sent",
      "new requests refused after GOAWAY", err)
sock:close()
ngx.say("done")
