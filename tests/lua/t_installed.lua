-- Served by the second harness nginx of tests/lua/run.sh, whose
-- lua_package_path names only the installed prefix (and Debian's
-- lua-resty-core): resty.http2 must load from there, find the installed
-- libh2 by itself, and fetch a page. /t/installed?prefix=P&port=N&docroot=D

local prefix = ngx.var.arg_prefix
local port = tonumber(ngx.var.arg_port)

local function check(cond, what, detail)
    ngx.say((cond and "ok - " or "not ok - ") .. "installed: " .. what
            .. ((not cond and detail) and (" (" .. tostring(detail) .. ")") or ""))
    ngx.flush(true)
end

local loaded, http2 = pcall(require, "resty.http2")
check(loaded, "require resty.http2 from the prefix", http2)
local source = package.searchpath("resty.http2", package.path)
check(source == prefix .. "/share/lua/5.1/resty/http2.lua", "module found under the prefix", source)
local libpath = require "resty.http2.libpath"
check(type(libpath) == "string" and libpath:sub(1, #prefix + 1) == prefix .. "/"
      and io.open(libpath) ~= nil, "libpath names the installed library", libpath)

if loaded then
    local sock = ngx.socket.tcp()
    sock:settimeout(10000)
    assert(sock:connect("127.0.0.1", port))
    local client = assert(http2.new { ctx = sock, recv = sock.receive, send = sock.send })
    local body = {}
    local ok, err = client:request({
        { name = ":authority", value = "127.0.0.1:" .. port },
        { name = ":method", value = "GET" },
        { name = ":path", value = "/1k.bin" },
        { name = ":scheme", value = "http" },
    }, nil, function() end, function(_, data) body[#body + 1] = data end)
    local f = io.open(ngx.var.arg_docroot .. "/1k.bin", "rb")
    local want = f:read("*a")
    f:close()
    check(ok and table.concat(body) == want, "GET through the installed library", err)
    client:close()
    sock:close()
end
ngx.say("done")
