-- The APNs example (examples/lua/apns_push.lua, shown in docs/lua-examples.md)
-- against the harness nginx's APNs look-alike (tests/lua/apns_server.lua on
-- the mTLS port, which checks the headers and the JSON payload):
-- /t/apns?port=P&ca=F&cert=F&key=F
--   a push accepted (apns-id), the error reasons, no credentials (403), a
--   provider token instead of a certificate, many pushes on one pooled
--   connection, and the example's nginx handler.

local apns = require "apns_push"
local pool = require "resty.http2.pool"
local t = require "harness"

local args = ngx.req.get_uri_args()
local check = t.checker("apns")
local base = "https://127.0.0.1:" .. args.port
local token = ("0123456789abcdef"):rep(4) -- 64 hex digits, as APNs device tokens
local alert = { payload = { aps = { alert = "Hello from nginx", sound = "default" } } }

local with_certificate = {
    base = base, topic = "com.example.app", pool = "apns-certificate",
    tls = { server_name = "localhost", ca_file = args.ca,
            cert_file = args.cert, key_file = args.key },
}

local function show(result, err)
    if not result then
        return err
    end
    return result.status .. " " .. tostring(result.reason or result.apns_id)
end

local result, err = apns.push(token, alert, with_certificate)
check(result and result.status == 200 and result.reason == nil
      and result.apns_id and result.apns_id:match("^%x+%-%x+%-4%x+%-A%x+%-%x+$"),
      "a push with a client certificate: 200 and a new apns-id", show(result, err))

local our_id = "2B1D3C16-7E2A-4B71-9C5A-6C0D0B5B9E11"
result, err = apns.push(token, { payload = '{"aps":{"content-available":1}}', id = our_id,
                                 push_type = "background", priority = 5,
                                 expiration = 1893456000, collapse_id = "news" },
                        with_certificate)
check(result and result.status == 200 and result.apns_id == our_id,
      "a background push with a JSON string, our apns-id, priority 5, an expiration",
      show(result, err))

-- What the server refuses, and the reason read from its JSON answer.
local refusals = {
    { "a short device token", "0123abcd", alert, 400, "BadDeviceToken" },
    { "an unknown push type", token, { payload = alert.payload, push_type = "shout" },
      400, "InvalidPushType" },
    { "a bad priority", token, { payload = alert.payload, priority = 7 }, 400, "BadPriority" },
    { "a payload without aps", token, { payload = { alert = "no aps" } }, 400, "BadPayload" },
    { "a payload above 4 KiB", token,
      { payload = { aps = { alert = ("x"):rep(5000) } } }, 413, "PayloadTooLarge" },
}
for _, case in ipairs(refusals) do
    result, err = apns.push(case[2], case[3], with_certificate)
    check(result and result.status == case[4] and result.reason == case[5],
          case[1] .. ": " .. case[4] .. " " .. case[5], show(result, err))
end
result, err = apns.push("not-hex", alert, with_certificate)
check(not result and err == "the device token must be hexadecimal digits",
      "a token that cannot be one is refused before sending", err)

-- Without a certificate: 403 unless a provider token (JWT) is given.
local without_certificate = {
    base = base, topic = "com.example.app", pool = "apns-token",
    tls = { server_name = "localhost", ca_file = args.ca },
}
result, err = apns.push(token, alert, without_certificate)
check(result and result.status == 403 and result.reason == "MissingProviderToken",
      "no certificate and no token: 403 MissingProviderToken", show(result, err))
without_certificate.auth_token = "eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQzEyMyJ9"
    .. ".eyJpc3MiOiJERUYxMjMiLCJpYXQiOjE3MDAwMDAwMDB9.c2lnbmF0dXJl"
result, err = apns.push(token, alert, without_certificate)
check(result and result.status == 200 and result.apns_id,
      "a provider token instead of a certificate: 200", show(result, err))

-- Many pushes share the one pooled connection, as APNs asks: in sequence,
-- then from light threads at once.
local before = pool.stats("apns-certificate")
check(before.connections_opened == 1 and before.live_connections == 1,
      "one connection so far for the certificate's pool", before.connections_opened)
local sent = 0
for _ = 1, 20 do
    result = apns.push(token, alert, with_certificate)
    sent = sent + ((result and result.status == 200) and 1 or 0)
end
local threads = {}
for i = 1, 30 do
    threads[i] = ngx.thread.spawn(apns.push, token, alert, with_certificate)
end
for i = 1, 30 do
    local ok, r = ngx.thread.wait(threads[i])
    sent = sent + ((ok and r and r.status == 200) and 1 or 0)
end
local after = pool.stats("apns-certificate")
check(sent == 50, "50 more pushes accepted", sent)
check(after.requests - before.requests == 50 and after.connections_opened == 1
      and after.live_connections == 1,
      "all on the one kept-alive connection (pool.stats)",
      ("requests +%d, opened %d, live %d"):format(after.requests - before.requests,
                                                  after.connections_opened, after.live_connections))

-- The example's nginx handler, through a location of the harness.
local handler_args = { base = base, ca = args.ca, cert = args.cert, key = args.key }
handler_args.token = token
local res = ngx.location.capture("/example/apns_push", { method = ngx.HTTP_POST,
    args = handler_args, body = '{"aps":{"alert":"from the handler"}}' })
check(res.status == 200 and res.body:match("^sent %x+%-"), "the nginx handler sends a push",
      res.status .. " " .. res.body)
handler_args.token = "abcd"
res = ngx.location.capture("/example/apns_push", { method = ngx.HTTP_POST,
    args = handler_args, body = '{"aps":{"alert":"from the handler"}}' })
check(res.status == 400 and res.body == "push refused: BadDeviceToken\n",
      "the nginx handler reports the reason", res.status .. " " .. res.body)
ngx.say("done")
