-- resty.http2.error: HTTP/2 error codes (RFC 9113 section 7) as the seed
-- lua-resty-http2 exposes them. Positive values are wire codes, which end
-- the connection; negative values are the same codes raised for a single
-- stream (stream errors), so is_stream_error() is simply "is negative".
--
-- The seed documents STREAM_PROTOCOL_ERROR, STREAM_FLOW_CONTROL_ERROR and
-- STREAM_FRAME_SIZE_ERROR but exports STREAM_PROTOCOL; every one of those
-- names is exported here so code written against either keeps working.

local _M = { _VERSION = "0.1" }

local names = {
    [0x0] = "NO_ERROR",
    [0x1] = "PROTOCOL_ERROR",
    [0x2] = "INTERNAL_ERROR",
    [0x3] = "FLOW_CONTROL_ERROR",
    [0x4] = "SETTINGS_TIMEOUT",
    [0x5] = "STREAM_CLOSED",
    [0x6] = "FRAME_SIZE_ERROR",
    [0x7] = "REFUSED_STREAM",
    [0x8] = "CANCEL",
    [0x9] = "COMPRESSION_ERROR",
    [0xa] = "CONNECT_ERROR",
    [0xb] = "ENHANCE_YOUR_CALM",
    [0xc] = "INADEQUATE_SECURITY",
    [0xd] = "HTTP_1_1_REQUIRED",
}

local descriptions = {
    [0x0] = "no error",
    [0x1] = "protocol error",
    [0x2] = "internal error",
    [0x3] = "flow control error",
    [0x4] = "settings timeout",
    [0x5] = "stream closed",
    [0x6] = "frame size error",
    [0x7] = "refused stream",
    [0x8] = "cancel",
    [0x9] = "compression error",
    [0xa] = "connect error",
    [0xb] = "enhance your calm",
    [0xc] = "inadequate security",
    [0xd] = "http/1.1 required",
}

for code, name in pairs(names) do
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
    local text = descriptions[wire]
    if not text then
        return "unknown error"
    end
    if code < 0 then
        return "stream " .. text
    end
    return text
end

function _M.is_stream_error(code)
    return type(code) == "number" and code < 0
end

return _M
