-- Apple Push Notification service (APNs) pushes from nginx with resty.http2
-- (libh2), through the worker's connection pool.
--
-- APNs speaks HTTP/2 only, over TLS with ALPN "h2", and wants providers to
-- keep their connections open and send many pushes on each, instead of
-- connecting per push: pool.request does exactly that. A push is
--   POST /3/device/<device token>
--   apns-topic: <bundle id>          apns-push-type: alert | background | ...
--   apns-priority: 10 (now) or 5     apns-expiration: 0 (once) or a UNIX time
--   body: the JSON payload ({"aps": {...}}, at most 4 KiB)
-- and the answer is 200 with an "apns-id" header, or an error status with a
-- JSON body {"reason": "BadDeviceToken"} (410 adds a "timestamp").
--
-- Authentication is either a client certificate (tls.cert_file and
-- tls.key_file) or a provider token: an ES256-signed JWT that you create
-- and renew (at most once every 20 minutes, at least once an hour) and pass
-- as opts.auth_token.
--
-- Put this file on lua_package_path and, for instance:
--   location = /push {
--       content_by_lua_block {
--           require("apns_push").push_handler {
--               base = "https://api.sandbox.push.apple.com",
--               topic = "com.example.app",
--               tls = { cert_file = "/etc/nginx/apns.pem", key_file = "/etc/nginx/apns.key" },
--           }
--       }
--   }

local pool = require "resty.http2.pool"
local cjson = require "cjson.safe"

local _M = {}

-- push(device_token, notification, opts) -> result, err
--   notification: { payload = { aps = { alert = "Hi" } } (a table or a JSON
--     string), push_type = "alert", priority = 10, expiration = 0,
--     id = nil (a UUID of yours, else APNs makes one), collapse_id = nil }
--   opts: { base = "https://api.push.apple.com", topic = "com.example.app",
--     tls = resty.http2's TLS options, auth_token = nil, timeout = 10,
--     pool = nil (a pool key of your own: one per set of credentials) }
--   result: { status = 200, apns_id = "...", reason = nil | "BadDeviceToken",
--     timestamp = nil | milliseconds (410: when the token became invalid) }
-- err is set only when no answer came (connection, TLS, timeout).
function _M.push(device_token, notification, opts)
    if type(device_token) ~= "string" or not device_token:match("^%x+$") then
        return nil, "the device token must be hexadecimal digits"
    end
    local payload = notification.payload
    if type(payload) == "table" then
        local err
        payload, err = cjson.encode(payload)
        if not payload then
            return nil, "payload: " .. err
        end
    end
    local headers = {
        ["apns-topic"] = opts.topic,
        ["apns-push-type"] = notification.push_type or "alert",
        ["apns-priority"] = tostring(notification.priority or 10),
        ["apns-expiration"] = tostring(notification.expiration or 0),
        ["apns-id"] = notification.id,
        ["apns-collapse-id"] = notification.collapse_id,
        ["content-type"] = "application/json",
    }
    if opts.auth_token then
        headers["authorization"] = "bearer " .. opts.auth_token
    end
    local res, err = pool.request(opts.base .. "/3/device/" .. device_token, {
        method = "POST",
        headers = headers,
        body = payload,
        tls = opts.tls,
        timeout = opts.timeout or 10,
        pool = opts.pool,
    })
    if not res then
        return nil, err
    end
    local result = { status = res.status, apns_id = res.headers["apns-id"] }
    if res.status ~= 200 then
        local answer = cjson.decode(res.body)
        result.reason = type(answer) == "table" and answer.reason
                        or ("HTTP " .. res.status .. " without a reason")
        result.timestamp = type(answer) == "table" and answer.timestamp or nil
    end
    return result
end

-- An nginx handler: POST ?token=DEVICE_TOKEN with the JSON payload as the
-- request body; answers "sent <apns-id>", or the status APNs gave and its
-- reason.
function _M.push_handler(opts)
    ngx.req.read_body()
    local result, err = _M.push(ngx.var.arg_token, { payload = ngx.req.get_body_data() }, opts)
    if not result then
        ngx.status = ngx.HTTP_BAD_GATEWAY
        ngx.say("push failed: ", err)
        return
    end
    if result.status ~= 200 then
        ngx.status = result.status
        ngx.say("push refused: ", result.reason)
        return
    end
    ngx.say("sent ", result.apns_id)
end

return _M
