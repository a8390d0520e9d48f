-- Many light threads (ngx.thread) of one request handler sharing one
-- resty.http2 session: /t/threads?server=NAME&port=P&docroot=D[&tls=1&ca=F]
-- Each thread sends requests and reads its own responses while the others
-- do the same; whichever thread needs a frame reads it for all of them.

local http2 = require "resty.http2"
local t = require "harness"

local args = ngx.req.get_uri_args()
local port = tonumber(args.port)
local docroot = args.docroot
local tls = args.tls and { server_name = "localhost", ca_file = args.ca } or nil
local check = t.checker((args.server or "?") .. (tls and " tls" or "") .. " threads")
local scheme = tls and "https" or "http"

local sock = assert(t.connect(port))
local client, err = http2.new { ctx = sock, recv = sock.receive, send = sock.send, tls = tls }
check(client ~= nil, "session", err)
if not client then
    ngx.say("done")
    return
end
if args.settings_first then
    -- Requests of the first flight, sent before the server's SETTINGS
    -- arrive, may exceed its limit and be refused (retryable); once the
    -- limit is known the core keeps to it and queues the rest.
    local ok
    ok, err = client:acknowledge_settings()
    check(ok and client:peer_max_concurrent_streams() == 10, "the server's limit of 10 known", err)
end

local files = { "1k.bin", "16k.bin", "0.bin", "1.bin" }
local expected = {}
for _, name in ipairs(files) do
    expected[name] = t.read_file(docroot .. "/" .. name)
end

local THREADS, ROUNDS = 100, 5

-- One thread: ROUNDS requests, GETs of varying size and a POST echo; a
-- description of the first thing that went wrong, or nil.
local function worker(id)
    for round = 1, ROUNDS do
        local name = files[(id + round) % #files + 1]
        local stream, body, e
        if round == ROUNDS and id % 10 == 0 then
            local payload = string.rep(string.char(65 + id % 26), 50000 + id)
            stream, e = client:send_request(
                t.request_headers("localhost:" .. port, scheme, "POST", "/echo"), payload)
            body = stream and t.read_all(client, stream)
            if body ~= payload then
                return "thread " .. id .. " POST echo: " .. tostring(e or (body and #body))
            end
        else
            stream, e = client:send_request(
                t.request_headers("localhost:" .. port, scheme, "GET", "/" .. name))
            local headers
            if stream then
                headers, e = client:read_headers(stream)
            end
            body = stream and t.read_all(client, stream)
            if not (headers and headers[":status"] == "200" and body == expected[name]) then
                return "thread " .. id .. " round " .. round .. " " .. name .. ": "
                       .. tostring(e or (headers and headers[":status"]) or "no headers")
            end
        end
    end
end

local threads = {}
for id = 1, THREADS do
    threads[id] = ngx.thread.spawn(worker, id)
end
local failures, first = 0, nil
for id = 1, THREADS do
    local ok, problem = ngx.thread.wait(threads[id])
    if not ok or problem then
        failures = failures + 1
        first = first or tostring(problem)
    end
end
check(failures == 0, THREADS .. " light threads x " .. ROUNDS .. " requests on one session",
      failures .. " failed, first: " .. tostring(first))

-- A slow reader holds back only its own stream: one thread takes a 10 MiB
-- body a piece at a time, sleeping in between, while ten others complete
-- their requests. Credit goes back only as the body is read, so the big
-- body waits in the server, not in this worker.
local big = client:send_request(t.request_headers("localhost:" .. port, scheme, "GET", "/10m.bin"))
local slow = ngx.thread.spawn(function()
    local got = 0
    while true do
        local data, e = client:read_body(big)
        if data == nil or data == "" then
            return got, e
        end
        got = got + #data
        if got < 262144 then
            ngx.sleep(0.01)
        end
    end
end)
local quick = {}
for i = 1, 10 do
    quick[i] = ngx.thread.spawn(function()
        local s = client:send_request(t.request_headers("localhost:" .. port, scheme, "GET", "/1k.bin"))
        return s and t.read_all(client, s)
    end)
end
local quick_ok = true
for i = 1, 10 do
    local ok, body = ngx.thread.wait(quick[i])
    quick_ok = quick_ok and ok and body == expected["1k.bin"]
end
check(quick_ok, "10 threads complete while another reads 10 MiB slowly")
local _, got, slow_err = ngx.thread.wait(slow)
check(got == 10 * 1048576, "the slow reader gets all 10 MiB", tostring(got) .. " " .. tostring(slow_err))
client:close()
sock:close()
ngx.say("done")
