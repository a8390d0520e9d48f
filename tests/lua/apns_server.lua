-- An APNs look-alike for the APNs example's tests: the harness nginx runs it
-- at /3/device/ on its mTLS port (tests/lua/run.sh). It checks what Apple's
-- provider API checks and answers the way Apple documents:
--   200 with an "apns-id" header (the request's, or a new UUID)
--   400 {"reason": ...}: BadDeviceToken (not 64 hex digits), MissingTopic,
--       InvalidPushType, BadPriority, BadExpirationDate, BadCollapseId,
--       PayloadEmpty, BadPayload (not a JSON object with an "aps" object)
--   403 {"reason": "MissingProviderToken"}: no client certificate and no
--       "authorization: bearer <JWT>" header
--   405 {"reason": "MethodNotAllowed"}, 413 {"reason": "PayloadTooLarge"}
-- It also insists on HTTP/2, as APNs does.

local cjson = require "cjson.safe"

local push_types = {
    alert = true, background = true, location = true, voip = true, complication = true,
    fileprovider = true, mdm = true, liveactivity = true, pushtotalk = true,
}

local function refuse(status, reason)
    ngx.status = status
    ngx.header["apns-id"] = ngx.req.get_headers()["apns-id"]
    ngx.header["content-type"] = "application/json"
    ngx.print(cjson.encode({ reason = reason }))
    return ngx.exit(ngx.HTTP_OK) -- the status set above stays
end

-- A version 4 UUID in APNs' upper-case form, from nginx's request id (32
-- random hex digits).
local function new_apns_id()
    local hex = ngx.var.request_id:upper()
    return ("%s-%s-4%s-A%s-%s"):format(hex:sub(1, 8), hex:sub(9, 12), hex:sub(14, 16),
                                        hex:sub(18, 20), hex:sub(21, 32))
end

-- A JWT is three base64url parts separated by dots; APNs would check the
-- signature, which a test without Apple's keys cannot.
local function looks_like_jwt(authorization)
    return type(authorization) == "string"
           and authorization:match("^bearer [%w_-]+%.[%w_-]+%.[%w_-]+$") ~= nil
end

if ngx.req.http_version() ~= 2 then
    return refuse(400, "BadRequest") -- not a reason APNs lists: it never answers HTTP/1
end
local headers = ngx.req.get_headers()
if ngx.var.ssl_client_verify ~= "SUCCESS" and not looks_like_jwt(headers["authorization"]) then
    return refuse(403, "MissingProviderToken")
end
if ngx.req.get_method() ~= "POST" then
    return refuse(405, "MethodNotAllowed")
end
local token = ngx.var.uri:match("^/3/device/(.*)$")
if not token or #token ~= 64 or not token:match("^%x+$") then
    return refuse(400, "BadDeviceToken")
end
if not headers["apns-topic"] then
    return refuse(400, "MissingTopic")
end
if not push_types[headers["apns-push-type"] or ""] then
    return refuse(400, "InvalidPushType")
end
local priority = headers["apns-priority"]
if priority ~= "10" and priority ~= "5" and priority ~= "1" then
    return refuse(400, "BadPriority")
end
if not (headers["apns-expiration"] or ""):match("^%d+$") then
    return refuse(400, "BadExpirationDate")
end
local collapse_id = headers["apns-collapse-id"]
if collapse_id and #collapse_id > 64 then
    return refuse(400, "BadCollapseId")
end
ngx.req.read_body()
local body = ngx.req.get_body_data()
if not body or body == "" then
    return refuse(400, "PayloadEmpty")
end
if #body > 4096 then
    return refuse(413, "PayloadTooLarge")
end
local payload = cjson.decode(body)
if type(payload) ~= "table" or type(payload.aps) ~= "table" then
    return refuse(400, "BadPayload")
end
ngx.header["apns-id"] = headers["apns-id"] or new_apns_id()
ngx.status = 200
