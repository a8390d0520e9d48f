-- resty.http2.error: HTTP/2 error codes (RFC 9113 section 7) as the seed
-- lua-resty-http2 exposes them. Positive values are wire codes, which end
-- the connection; negative values are the same codes raised for a single
-- stream (stream errors), so is_stream_error() is simply "is negative".
--
-- The seed documents STREAM_PROTOCOL_ERROR, STREAM_FLOW_CONTROL_ERROR and
-- STREAM_FRAME_SIZE_ERROR but exports STREAM_PROTOCOL; every one of those
-- names is exported here so code written against either keeps working.

local _M = { _VERSION = "0.1" }

-- Wire code -> { constant name, description }.
local codes = {
    [0x0] = { "NO_ERROR", "no error" },
    [0x1] = { "PROTOCOL_ERROR", "protocol error" },
    [0x2] = { "INTERNAL_ERROR", "internal error" },
    [0x3] = { "FLOW_CONTROL_ERROR", "flow control error" },
    [0x4] = { "SETTINGS_TIMEOUT", "settings timeout" },
    [0x5] = { "STREAM_CLOSED", "stream closed" },
    [0x6] = { "FRAME_SIZE_ERROR", "frame size error" },
    [0x7] = { "REFUSED_STREAM", "refused stream" },
    [0x8] = { "CANCEL", "cancel" },
    [0x9] = { "COMPRESSION_ERROR", "compression error" },
    [0xa] = { "CONNECT_ERROR", "connect error" },
    [0xb] = { "ENHANCE_YOUR_CALM", "enhance your calm" },
    [0xc] = { "INADEQUATE_SECURITY", "inadequate security" },
    [0xd] = { "HTTP_1_1_REQUIRED", "http/1.1 required" },
}

for code, entry in pairs(codes) do
    local name = entry[1]
    _M[name] = code
    if code ~= 0 then
        -- STREAM_PROTOCOL_ERROR, STREAM_CANCEL, ... for the stream band.
        _M["STREAM_" .. name] = -code
    end
end
_M.STREAM_PROTOCOL = -0x1 -- the seed's actual export name

-- A description of `code`, positive (connection) or negative (stream).
function _M.strerror(code)
    if type(code) ~= "number" then
        return "unknown error"
    end
    local wire = code < 0 and -code or code
    local entry = codes[wire]
    if not entry then
        return "unknown error"
    end
    local text = entry[2]
    if code < 0 then
        return "stream " .. text
    end
    return text
end

function _M.is_stream_error(code)
    return type(code) == "number" and code < 0
end

return _M
