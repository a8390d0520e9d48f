-- Just enough of OpenResty's `ngx` for the binding's test pages to run in
-- the plain luajit interpreter, where valgrind can watch every allocation
-- (an nginx worker under valgrind would be slow and its pools opaque).
--
-- Sockets are blocking POSIX sockets through the FFI: one connection does
-- one thing at a time here, so nothing needs an event loop. Only what the
-- pages use exists: ngx.var.arg_*, ngx.req.get_uri_args, ngx.say,
-- ngx.flush, ngx.now, ngx.update_time, ngx.sleep and ngx.socket.tcp with
-- connect (and its pool option), settimeout, receive(n), send, close,
-- setkeepalive and getreusedtimes. Light threads and semaphores are absent:
-- the pages that need them (threads, pool) are not run.

local ffi = require "ffi"

ffi.cdef [[
int socket(int domain, int type, int protocol);
int connect(int fd, const void *addr, uint32_t addrlen);
int setsockopt(int fd, int level, int name, const void *value, uint32_t length);
long read(int fd, void *buf, size_t count);
long write(int fd, const void *buf, size_t count);
int close(int fd);
typedef struct { uint16_t family; uint16_t port; uint8_t addr[4]; uint8_t zero[8]; } shim_sockaddr_in;
typedef struct { long sec; long usec; } shim_timeval;
int gettimeofday(shim_timeval *tv, void *tz);
]]

local C = ffi.C
local AF_INET, SOCK_STREAM = 2, 1
local SOL_SOCKET, SO_RCVTIMEO = 1, 20
local IPPROTO_TCP, TCP_NODELAY = 6, 1
local READ_TIMEOUT_CAP_MS = 2000

local M = {}

-- The page's query arguments, set by the driver before it runs a page.
local args = {}
function M.set_args(t)
    args = t
end

local out = {}
function M.take_output()
    local text = table.concat(out)
    out = {}
    return text
end

local tv = ffi.new("shim_timeval")
local function now()
    C.gettimeofday(tv, nil)
    return tonumber(tv.sec) + tonumber(tv.usec) / 1e6
end

-- Sockets ------------------------------------------------------------------------

local parked = {} -- pool name -> { fd, reused }
local sock = {}
local sock_mt = { __index = sock }

local function ipv4(host)
    local a, b, c, d = host:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    assert(a, "the shim connects to IPv4 addresses only")
    return tonumber(a), tonumber(b), tonumber(c), tonumber(d)
end

function sock.settimeout(self, ms)
    self.timeout = ms
end

function sock.connect(self, host, port, opts)
    self.pool = (opts and opts.pool) or (host .. ":" .. port)
    local p = parked[self.pool]
    if p then
        parked[self.pool] = nil
        self.fd, self.reused = p.fd, p.reused + 1
        return 1
    end
    local fd = C.socket(AF_INET, SOCK_STREAM, 0)
    if fd < 0 then
        return nil, "socket failed"
    end
    local addr = ffi.new("shim_sockaddr_in")
    addr.family = AF_INET
    addr.port = bit.bor(bit.rshift(port, 8), bit.lshift(bit.band(port, 0xff), 8))
    addr.addr[0], addr.addr[1], addr.addr[2], addr.addr[3] = ipv4(host)
    if C.connect(fd, addr, ffi.sizeof(addr)) ~= 0 then
        C.close(fd)
        return nil, "connection refused"
    end
    -- A read that waits longer than the cosocket timeout fails, as in nginx.
    -- The cap keeps the run short where a page reads until a server that
    -- keeps its connection open after our GOAWAY would close it.
    local timeout = ffi.new("shim_timeval")
    local ms = math.min(self.timeout or 60000, READ_TIMEOUT_CAP_MS)
    timeout.sec, timeout.usec = math.floor(ms / 1000), (ms % 1000) * 1000
    C.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, ffi.sizeof(timeout))
    C.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, ffi.new("int[1]", 1), 4)
    self.fd, self.reused = fd, 0
    return 1
end

function sock.receive(self, n)
    if not self.fd then
        return nil, "closed"
    end
    assert(type(n) == "number", "the shim receives byte counts only")
    local buf = ffi.new("uint8_t[?]", n)
    local got = 0
    while got < n do
        local r = tonumber(C.read(self.fd, buf + got, n - got))
        if r == 0 then
            return nil, "closed"
        end
        if r < 0 then
            return nil, "timeout"
        end
        got = got + r
    end
    return ffi.string(buf, n)
end

function sock.send(self, data)
    if not self.fd then
        return nil, "closed"
    end
    local sent = 0
    while sent < #data do
        local w = tonumber(C.write(self.fd, ffi.cast("const char *", data) + sent, #data - sent))
        if w <= 0 then
            return nil, "closed"
        end
        sent = sent + w
    end
    return #data
end

function sock.close(self)
    if self.fd then
        C.close(self.fd)
        self.fd = nil
    end
    return 1
end

function sock.setkeepalive(self)
    if self.fd then
        local old = parked[self.pool]
        if old then
            C.close(old.fd)
        end
        parked[self.pool] = { fd = self.fd, reused = self.reused }
        self.fd = nil
    end
    return 1
end

-- As in nginx: nil once the cosocket is closed or back in the pool.
function sock.getreusedtimes(self)
    if not self.fd then
        return nil, "closed"
    end
    return self.reused
end

-- Closes the parked connections (the driver calls it at the end).
function M.close_parked()
    for name, p in pairs(parked) do
        C.close(p.fd)
        parked[name] = nil
    end
end

-- ngx ------------------------------------------------------------------------------

M.ngx = {
    var = setmetatable({}, { __index = function(_, name)
        local arg = name:match("^arg_(.+)$")
        return arg and args[arg]
    end }),
    req = { get_uri_args = function() return args end },
    say = function(...)
        local parts = { ... }
        for i = 1, #parts do
            parts[i] = tostring(parts[i])
        end
        out[#out + 1] = table.concat(parts) .. "\n"
        return 1
    end,
    flush = function() return 1 end,
    now = now,
    update_time = function() end,
    sleep = function() end,
    socket = { tcp = function() return setmetatable({}, sock_mt) end },
}

return M
