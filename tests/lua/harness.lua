-- Helpers shared by the test pages (tests/lua/t_*.lua) that run inside the
-- harness nginx of tests/lua/run.sh. Each check prints one "ok - ..." or
-- "not ok - ..." line; run.sh counts them.

local _M = {}

-- A checker whose lines all start with `label` (the server under test).
function _M.checker(label)
    return function(cond, what, detail)
        ngx.say((cond and "ok - " or "not ok - ") .. label .. ": " .. what
                .. ((not cond and detail ~= nil) and (" (" .. tostring(detail) .. ")") or ""))
        ngx.flush(true)
        return cond
    end
end

function _M.read_file(path)
    local f = assert(io.open(path, "rb"))
    local data = f:read("*a")
    f:close()
    return data
end

-- A connected cosocket, or nil and the error.
function _M.connect(port, pool)
    local sock = ngx.socket.tcp()
    sock:settimeout(10000)
    local ok, err = sock:connect("127.0.0.1", port, pool and { pool = pool } or nil)
    if not ok then
        return nil, err
    end
    return sock
end

-- The request header list resty.http2 takes: pseudo-headers first.
function _M.request_headers(authority, scheme, method, path, extra)
    local h = {
        { name = ":authority", value = authority },
        { name = ":method", value = method },
        { name = ":path", value = path },
        { name = ":scheme", value = scheme },
        { name = "user-agent", value = "libh2-lua-test" },
    }
    for _, f in ipairs(extra or {}) do
        h[#h + 1] = f
    end
    return h
end

-- The whole body of `stream`, or nil and the error.
function _M.read_all(client, stream)
    local parts = {}
    while true do
        local data, err = client:read_body(stream)
        if data == nil then
            if err then
                return nil, err
            end
            break
        end
        if data == "" then
            break
        end
        parts[#parts + 1] = data
    end
    return table.concat(parts)
end

return _M
