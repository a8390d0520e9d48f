#!/usr/bin/python3
"""Generates a realistic HPACK story corpus in the hpack-test-case format.

The real hpack-test-case corpus (requests and responses captured from top
websites) cannot be downloaded on the build machines, so this script models
the same kind of traffic instead: one story per site, each story the header
lists of one connection's browsing session, alternating a request and its
response. Requests carry what browsers really send (user agents of real
browsers, accept headers that depend on what is fetched, referers, cookie
jars that grow and change, conditional headers on revalidation, sec-fetch
headers for modern browsers); responses carry what servers and CDNs really
send (an advancing date, caching headers, etags, set-cookie, CDN and
security headers).

Everything comes from one seeded random generator, so a given seed always
produces the same corpus, byte for byte.

Usage:
  gen_hpack_stories.py --out DIR [--wire-from python|none] [--seed N]
                       [--stories N] [--min-lists N] [--max-lists N]

With --wire-from python (the default) each case also carries the wire
bytes produced by python-hpack's encoder (one encoder per story, table size
4096), which is what the benchmark decodes. That needs Debian's
python3-hpack, installed for /usr/bin/python3 only.
"""
import argparse
import datetime
import json
import os
import random
import string
import sys

TABLE_SIZE = 4096

WORDS = (
    "world europe politics business technology science health sport video "
    "travel weather music movies books games style food climate election "
    "market stocks energy football tennis olympics review guide best new "
    "how why what apple google phone laptop camera house garden recipe "
    "chicken pasta summer winter city london paris tokyo york berlin sale "
    "deal shoes dress jacket kids toys home kitchen office design art "
    "history space nasa mars ocean river mountain trail bike car electric "
    "battery solar wind rain storm report analysis opinion live update"
).split()

BROWSERS = {
    "chrome": ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
               "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
    "chrome_mac": ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
                   "AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Chrome/119.0.0.0 Safari/537.36"),
    "chrome_android": ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 "
                       "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile "
                       "Safari/537.36"),
    "chrome_old": ("Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 "
                   "(KHTML, like Gecko) Chrome/38.0.2125.111 Safari/537.36"),
    "firefox": ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) "
                "Gecko/20100101 Firefox/121.0"),
    "firefox_old": ("Mozilla/5.0 (Windows NT 6.1; WOW64; rv:33.0) "
                    "Gecko/20100101 Firefox/33.0"),
    "safari": ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) "
               "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
               "Safari/605.1.15"),
    "safari_ios": ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) "
                   "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
                   "Mobile/15E148 Safari/604.1"),
    "edge": ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
             "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 "
             "Edg/120.0.2210.61"),
}

LANGUAGES = ("en-US,en;q=0.9", "en-GB,en;q=0.9,en-US;q=0.8", "en-US,en;q=0.5",
             "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", "fr-FR,fr;q=0.9,en;q=0.8",
             "ja,en-US;q=0.9,en;q=0.8", "en-us", "es-ES,es;q=0.9")

# (host, page style, server header, CDN style, security headers, era)
SITES = (
    ("www.google.com", "search", "gws", "google", True, "modern"),
    ("www.youtube.com", "video", "ESF", "google", True, "modern"),
    ("www.facebook.com", "social", "", "facebook", True, "modern"),
    ("en.wikipedia.org", "wiki", "mw1384.eqiad.wmnet", "varnish", True,
     "modern"),
    ("www.amazon.com", "shop", "Server", "cloudfront", True, "modern"),
    ("www.yahoo.com", "news", "ATS", "yahoo", True, "old"),
    ("twitter.com", "social", "tsa_b", "twitter", True, "modern"),
    ("www.linkedin.com", "social", "Play", "akamai", True, "old"),
    ("www.ebay.com", "shop", "ebay-proxy-server", "akamai", False, "old"),
    ("www.reddit.com", "forum", "snooserv", "fastly", True, "modern"),
    ("www.nytimes.com", "news", "nginx", "fastly", True, "modern"),
    ("www.bbc.co.uk", "news", "Apache", "akamai", True, "old"),
    ("edition.cnn.com", "news", "nginx", "fastly", False, "modern"),
    ("github.com", "code", "GitHub.com", "github", True, "modern"),
    ("stackoverflow.com", "qa", "Microsoft-IIS/10.0", "cloudflare", True,
     "modern"),
    ("www.microsoft.com", "shop", "Microsoft-IIS/10.0", "akamai", True, "old"),
    ("www.apple.com", "shop", "Apache", "akamai", True, "modern"),
    ("www.netflix.com", "video", "envoy", "netflix", True, "modern"),
    ("www.instagram.com", "social", "proxygen-bolt", "facebook", True,
     "modern"),
    ("www.pinterest.com", "social", "envoy", "akamai", True, "modern"),
    ("www.tumblr.com", "social", "nginx", "cloudflare", False, "old"),
    ("www.imdb.com", "video", "Server", "cloudfront", False, "old"),
    ("www.bing.com", "search", "Microsoft-IIS/10.0", "akamai", True, "old"),
    ("www.msn.com", "news", "Kestrel", "akamai", True, "modern"),
    ("www.paypal.com", "shop", "nginx", "akamai", True, "modern"),
    ("wordpress.com", "news", "nginx", "wordpress", True, "old"),
    ("www.adobe.com", "shop", "Apache", "akamai", False, "modern"),
    ("www.dropbox.com", "code", "envoy", "dropbox", True, "modern"),
    ("www.theguardian.com", "news", "nginx", "fastly", True, "modern"),
    ("www.etsy.com", "shop", "Apache", "fastly", True, "old"),
)

MODERN_BROWSERS = ("chrome", "chrome_mac", "chrome_android", "firefox",
                   "safari", "safari_ios", "edge")
OLD_BROWSERS = ("chrome_old", "firefox_old", "safari", "chrome_old")

ACCEPT = {
    "document": ("text/html,application/xhtml+xml,application/xml;q=0.9,"
                 "image/avif,image/webp,image/apng,*/*;q=0.8,"
                 "application/signed-exchange;v=b3;q=0.7"),
    "document_old": ("text/html,application/xhtml+xml,application/xml;q=0.9,"
                     "*/*;q=0.8"),
    "style": "text/css,*/*;q=0.1",
    "script": "*/*",
    "image": ("image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;"
              "q=0.8"),
    "image_old": "image/webp,*/*;q=0.8",
    "font": "*/*",
    "xhr": "application/json, text/plain, */*",
    "beacon": "*/*",
}

CONTENT_TYPES = {
    "document": "text/html; charset=utf-8",
    "style": "text/css",
    "script": "application/javascript",
    "font": "font/woff2",
    "xhr": "application/json; charset=utf-8",
}

IMAGE_TYPES = (("jpg", "image/jpeg"), ("png", "image/png"),
               ("webp", "image/webp"), ("gif", "image/gif"),
               ("svg", "image/svg+xml"))

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec")


def http_date(moment):
    """An RFC 7231 IMF-fixdate, as Date, Expires and Last-Modified use."""
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        DAYS[moment.weekday()], moment.day, MONTHS[moment.month - 1],
        moment.year, moment.hour, moment.minute, moment.second)


class Noise:
    """Random identifiers of the shapes real sites use."""

    def __init__(self, rng):
        self.rng = rng

    def chars(self, alphabet, length):
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def hex(self, length):
        return self.chars("0123456789abcdef", length)

    def digits(self, length):
        return self.chars(string.digits, length)

    def b64(self, length):
        return self.chars(string.ascii_letters + string.digits + "-_", length)

    def uuid(self):
        h = self.hex(32)
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    def words(self, count, sep):
        return sep.join(self.rng.choice(WORDS) for _ in range(count))


class CookieJar:
    """The cookies one browser holds for one site, in insertion order."""

    def __init__(self, site, noise, epoch):
        self.noise = noise
        self.cookies = {}
        rng = noise.rng
        host = site[0]
        ga_id = "%s.%d" % (noise.digits(9), epoch - rng.randint(0, 10 ** 7))
        # Each site keeps a different subset, so cookie lengths range from
        # nothing to well over a kilobyte, as in real traffic.
        if rng.random() < 0.15:
            return
        if rng.random() < 0.6:
            self.cookies["_ga"] = "GA1.2." + ga_id
            self.cookies["_gid"] = "GA1.2.%s.%d" % (noise.digits(10), epoch)
        if rng.random() < 0.4:
            domain_hash = noise.digits(9)
            self.cookies["__utma"] = "%s.%s.%d.%d.%d.%d" % (
                domain_hash, noise.digits(10), epoch - 86400 * 30,
                epoch - 86400, epoch, rng.randint(2, 40))
            self.cookies["__utmz"] = (
                "%s.%d.1.1.utmcsr=google|utmccn=(organic)|utmcmd=organic|"
                "utmctr=(not%%20provided)" % (domain_hash, epoch - 3600))
        if rng.random() < 0.7:
            name = rng.choice(("sessionid", "SID", "JSESSIONID", "session-id",
                               "PHPSESSID", "_session_id"))
            self.cookies[name] = noise.b64(rng.choice((26, 32, 44, 64)))
        if rng.random() < 0.5:
            self.cookies["csrftoken"] = noise.b64(32)
        if rng.random() < 0.3:
            self.cookies["euconsent-v2"] = "CP" + noise.b64(
                rng.randint(80, 300))
        if rng.random() < 0.35:
            self.cookies["_fbp"] = "fb.1.%d%s.%s" % (
                epoch, noise.digits(3), noise.digits(10))
        if rng.random() < 0.25:
            self.cookies["ak_bmsc"] = noise.b64(rng.randint(200, 500))
        if rng.random() < 0.3:
            self.cookies["prefs"] = "lang=en&region=%s&theme=%s" % (
                rng.choice(("US", "GB", "DE")), rng.choice(("dark", "light")))
        if rng.random() < 0.2:
            self.cookies["optimizelyEndUserId"] = "oeu%d%sr0.%s" % (
                epoch, noise.digits(3), noise.digits(16))
        if "google" in host or "youtube" in host:
            self.cookies["NID"] = "511=" + noise.b64(rng.randint(150, 220))
            self.cookies["1P_JAR"] = "2023-12-%02d-10" % rng.randint(1, 28)

    def header(self):
        return "; ".join("%s=%s" % kv for kv in self.cookies.items())

    def crumbs(self):
        return ["%s=%s" % kv for kv in self.cookies.items()]


class Story:
    """One connection's worth of alternating requests and responses."""

    def __init__(self, index, rng, site):
        self.rng = rng
        self.noise = Noise(rng)
        self.site = site
        self.host, self.style, self.server, self.cdn, self.secure, era = site
        browsers = MODERN_BROWSERS if era == "modern" else OLD_BROWSERS
        self.browser = rng.choice(browsers)
        self.modern = era == "modern" and not self.browser.endswith("_old")
        self.user_agent = BROWSERS[self.browser]
        self.language = rng.choice(LANGUAGES)
        year = 2023 if self.modern else 2014
        self.clock = datetime.datetime(year, rng.randint(1, 12),
                                       rng.randint(1, 28), rng.randint(0, 23),
                                       rng.randint(0, 59), rng.randint(0, 59))
        epoch = int((self.clock - datetime.datetime(1970, 1, 1))
                    .total_seconds())
        self.jar = CookieJar(site, self.noise, epoch)
        # Firefox sends cookies as separate crumbs more often than not
        # with HTTP/2 (it compresses better); Chrome joins them.
        self.split_cookies = self.browser.startswith("firefox") and \
            rng.random() < 0.6
        self.csp = self.make_csp() if rng.random() < 0.4 else None
        self.seen = {}  # path -> (etag, last-modified) for revalidation
        self.page = None
        self.cases = []
        self.index = index

    # ---- paths -------------------------------------------------------------

    def page_path(self):
        rng, n = self.rng, self.noise
        style = self.style
        if style == "search":
            q = n.words(rng.randint(1, 4), "+")
            return "/search?q=%s&hl=en&source=hp&ei=%s&oq=%s&gs_lcp=%s" % (
                q, n.b64(22), q, n.b64(rng.randint(40, 120)))
        if style == "video":
            return "/watch?v=%s%s" % (n.b64(11), "&list=PL" + n.b64(32)
                                      if rng.random() < 0.3 else "")
        if style == "social":
            return rng.choice(("/", "/%s" % n.words(1, ""),
                               "/%s/status/%s" % (n.words(1, ""),
                                                  n.digits(19)),
                               "/photo/?fbid=%s&set=a.%s" % (n.digits(16),
                                                             n.digits(15))))
        if style == "wiki":
            return "/wiki/" + n.words(rng.randint(1, 3), "_").title()
        if style == "shop":
            return "/%s/dp/B0%s/ref=sr_1_%d?crid=%s&keywords=%s&qid=%s" \
                "&sr=8-%d" \
                % (n.words(3, "-"), n.b64(8).upper(), rng.randint(1, 20),
                   n.b64(13).upper(), n.words(2, "+"), n.digits(10),
                   rng.randint(1, 20))
        if style == "forum":
            return "/r/%s/comments/%s/%s/" % (n.words(1, ""), n.b64(6).lower(),
                                              n.words(rng.randint(3, 8), "_"))
        if style == "qa":
            return "/questions/%s/%s" % (n.digits(8), n.words(6, "-"))
        if style == "code":
            return "/%s/%s/blob/main/src/%s.c" % (n.words(1, ""),
                                                  n.words(1, ""),
                                                  n.words(1, "_"))
        d = self.clock
        return "/%s/%04d/%02d/%02d/%s.html" % (rng.choice(WORDS), d.year,
                                               d.month, d.day,
                                               n.words(rng.randint(3, 9), "-"))

    def asset_path(self, kind):
        rng, n = self.rng, self.noise
        base = rng.choice(("/static", "/assets", "/s", "/_next/static",
                           "/rsrc.php/v3"))
        version = "?v=%d" % rng.randint(1, 400) if rng.random() < 0.3 else ""
        if kind == "style":
            return "%s/css/%s.%s.css%s" % (base, n.words(1, ""), n.hex(8),
                                          version)
        if kind == "script":
            return "%s/js/%s.%s.js%s" % (base, n.words(rng.randint(1, 2), "-"),
                                        n.hex(rng.choice((8, 20))), version)
        if kind == "font":
            return "%s/fonts/%s-%s.woff2" % (base, n.words(1, ""),
                                             rng.choice(("Regular", "Bold")))
        ext = rng.choice(IMAGE_TYPES)[0]
        if rng.random() < 0.5:
            return "/images/%s/%s-%dx%d.%s" % (n.hex(2), n.words(2, "-"),
                                               rng.choice((64, 320, 640)),
                                               rng.choice((48, 240, 480)), ext)
        return "/i/%s/%s.%s?w=%d&q=%d" % (n.b64(20), n.words(1, ""), ext,
                                           rng.choice((200, 400, 800)),
                                           rng.choice((60, 75, 85)))

    def api_path(self):
        rng, n = self.rng, self.noise
        if rng.random() < 0.3:
            # Analytics collection URLs are long and all different.
            return ("/collect?v=1&_v=j101&a=%s&t=pageview&_s=%d&dl=https%%3A"
                    "%%2F"
                    "%%2F%s%%2F&ul=en-us&de=UTF-8&dt=%s&sd=24-bit&sr=1920x1080"
                    "&vp=1903x969&je=0&_u=%s~&jid=%s&cid=%s&tid=UA-%s-1&z=%s" %
                    (n.digits(9), rng.randint(1, 30), self.host,
                     n.words(3, "%20"), n.b64(8), n.digits(9),
                     n.digits(10), n.digits(7), n.digits(10)))
        return "/api/v%d/%s?%s=%s&limit=%d" % (
            rng.randint(1, 3), n.words(1, "/"), rng.choice(("id", "cursor",
                                                            "after", "q")),
            n.b64(rng.randint(6, 24)), rng.choice((10, 20, 25, 50)))

    # ---- requests ----------------------------------------------------------

    def sec_fetch(self, kind, headers):
        if not self.modern or self.browser.startswith("safari"):
            return
        if self.browser.startswith(("chrome", "edge")):
            headers.append(("sec-ch-ua", '"Not_A Brand";v="8", "Chromium";'
                            'v="120", "Google Chrome";v="120"'))
            headers.append(("sec-ch-ua-mobile",
                            "?1" if "android" in self.browser else "?0"))
            platform = ("Android" if "android" in self.browser else
                        "macOS" if "mac" in self.browser else "Windows")
            headers.append(("sec-ch-ua-platform", '"%s"' % platform))
        dest = {"document": "document", "xhr": "empty", "beacon": "empty",
                "style": "style", "script": "script", "image": "image",
                "font": "font"}[kind]
        mode = {"document": "navigate", "xhr": "cors", "beacon": "no-cors",
                "font": "cors"}.get(kind, "no-cors")
        headers.append(("sec-fetch-site", "same-origin" if self.page
                        else "none"))
        headers.append(("sec-fetch-mode", mode))
        if kind == "document":
            headers.append(("sec-fetch-user", "?1"))
        headers.append(("sec-fetch-dest", dest))

    def accept(self, kind):
        if not self.modern and kind in ("document", "image"):
            return ACCEPT[kind + "_old"]
        return ACCEPT[kind]

    def request(self, kind, path, method="GET"):
        rng = self.rng
        h = [(":method", method)]
        if self.browser.startswith("firefox"):
            h += [(":path", path), (":authority", self.host),
                  (":scheme", "https")]
        else:
            h += [(":authority", self.host), (":scheme", "https"),
                  (":path", path)]
        if kind == "document" and rng.random() < 0.15:
            h.append(("cache-control", "max-age=0"))
        if method == "POST":
            h.append(("content-length", str(rng.randint(20, 3000))))
            h.append(("content-type", rng.choice((
                "application/json", "text/plain;charset=UTF-8",
                "application/x-www-form-urlencoded; charset=UTF-8"))))
            h.append(("origin", "https://" + self.host))
        if kind == "xhr" and rng.random() < 0.5:
            h.append(("x-requested-with", "XMLHttpRequest"))
        if kind == "xhr" and rng.random() < 0.3:
            h.append(("x-csrf-token", self.noise.b64(40)))
        if kind == "document":
            h.append(("upgrade-insecure-requests", "1"))
        h.append(("user-agent", self.user_agent))
        h.append(("accept", self.accept(kind)))
        self.sec_fetch(kind, h)
        if self.page and kind != "document" or (kind == "document" and
                                                self.page and
                                                rng.random() < 0.7):
            h.append(("referer", "https://%s%s" % (self.host, self.page)))
        h.append(("accept-encoding", "gzip, deflate, br"))
        h.append(("accept-language", self.language))
        if self.browser.startswith("firefox") and rng.random() < 0.3:
            h.append(("dnt", "1"))
        if self.jar.cookies:
            if self.split_cookies:
                h += [("cookie", c) for c in self.jar.crumbs()]
            else:
                h.append(("cookie", self.jar.header()))
        if path in self.seen and rng.random() < 0.7:
            etag, modified = self.seen[path]
            h.append(("if-none-match", etag))
            h.append(("if-modified-since", modified))
        if self.browser.startswith("firefox") and kind == "document":
            h.append(("te", "trailers"))
        return h

    # ---- responses ---------------------------------------------------------

    def cdn_headers(self, h, kind):
        rng, n = self.rng, self.noise
        cdn = self.cdn
        cacheable = kind not in ("document", "xhr")
        if cdn == "cloudfront":
            h.append(("x-cache", rng.choice(("Hit from cloudfront",
                                             "Miss from cloudfront"))))
            h.append(("via", "1.1 %s.cloudfront.net (CloudFront)" % n.hex(32)))
            h.append(("x-amz-cf-pop", rng.choice(("LHR61-C2", "IAD89-P1"))))
            h.append(("x-amz-cf-id", n.b64(54) + "=="))
        elif cdn == "cloudflare":
            h.append(("cf-cache-status", "HIT" if cacheable else "DYNAMIC"))
            h.append(("cf-ray", "%s-%s" % (n.hex(16),
                                           rng.choice(("LHR", "AMS")))))
        elif cdn == "fastly" or cdn == "varnish":
            h.append(("via", "1.1 varnish"))
            h.append(("x-served-by", "cache-lhr%d-LHR, cache-%s%d-%s" % (
                rng.randint(6000, 7999), "iad", rng.randint(2000, 9999),
                "IAD")))
            h.append(("x-cache", rng.choice(("HIT, HIT", "MISS, HIT",
                                             "HIT"))))
            h.append(("x-cache-hits", "%d, %d" % (rng.randint(0, 9),
                                                 rng.randint(1, 500))))
            h.append(("x-timer", "S%d.%s,VS0,VE%d" % (
                1700000000 + rng.randint(0, 10 ** 7), n.digits(6),
                rng.randint(0, 90))))
        elif cdn == "akamai":
            if rng.random() < 0.5:
                h.append(("x-akamai-transformed", "9 %d 0 pmb=mRUM,1" %
                          rng.randint(100, 90000)))
            h.append(("server-timing", "cdn-cache; desc=%s, edge; dur=%d" % (
                rng.choice(("HIT", "MISS")), rng.randint(1, 80))))
        elif cdn == "facebook":
            h.append(("x-fb-debug", n.b64(86) + "=="))
            h.append(("x-fb-trip-id", n.digits(10)))
        elif cdn == "google":
            h.append(("x-xss-protection", "0"))
            h.append(("alt-svc", 'h3=":443"; ma=2592000,h3-29=":443"; '
                      'ma=2592000'))
        else:
            h.append(("x-request-id", n.uuid()))
        if cacheable and rng.random() < 0.8:
            h.append(("age", str(rng.randint(0, 500000))))

    def security_headers(self, h):
        if not self.secure:
            return
        h.append(("strict-transport-security",
                  "max-age=31536000; includeSubDomains; preload"))
        h.append(("x-content-type-options", "nosniff"))
        h.append(("x-frame-options", "SAMEORIGIN"))
        if not self.modern:
            h.append(("x-xss-protection", "1; mode=block"))
        if self.csp:
            h.append(("content-security-policy", self.csp))

    def make_csp(self):
        sources = " ".join("https://*.%s" % self.noise.words(1, "") + ".com"
                           for _ in range(self.rng.randint(3, 12)))
        return ("default-src 'self' %s; script-src 'self' 'unsafe-inline' "
                "'unsafe-eval' %s; img-src * data: blob:; "
                "report-uri https://%s/csp-report" % (sources, sources,
                                                      self.host))

    def set_cookie(self):
        rng, n = self.rng, self.noise
        name = rng.choice(("session-token", "bm_sv", "__cf_bm", "_abck",
                           "ubid-main", "lc-main", "datr", "fr", "YSC"))
        value = n.b64(rng.choice((16, 32, 64, 120, 240)))
        expires = self.clock + datetime.timedelta(days=rng.choice((1, 30,
                                                                   365)))
        self.jar.cookies[name] = value
        return "%s=%s; expires=%s; path=/; domain=.%s; Secure; HttpOnly%s" % (
            name, value, http_date(expires), self.host.split(".", 1)[-1],
            rng.choice(("", "; SameSite=Lax", "; SameSite=None")))

    def response(self, kind, path, request):
        rng = self.rng
        conditional = any(name == "if-none-match" for name, _ in request)
        status = "200"
        if conditional and rng.random() < 0.85:
            status = "304"
        elif kind == "document" and rng.random() < 0.08:
            status = rng.choice(("301", "302"))
        elif kind == "beacon":
            status = "204"
        elif rng.random() < 0.02:
            status = "404"
        h = [(":status", status), ("date", http_date(self.clock))]
        if status in ("301", "302"):
            h.append(("location", "https://%s%s" % (self.host,
                                                    self.page_path())))
            h.append(("content-length", "0"))
        elif status == "304":
            etag, modified = self.seen[path]
            h.append(("etag", etag))
            h.append(("cache-control", "public, max-age=%d" %
                      rng.choice((300, 86400, 31536000))))
        elif status != "204":
            self.body_headers(h, kind, path)
        if self.server:
            h.append(("server", self.server))
        if kind == "document" or kind == "xhr":
            self.security_headers(h)
        self.cdn_headers(h, kind)
        return h

    def body_headers(self, h, kind, path):
        rng, n = self.rng, self.noise
        if kind == "image":
            content_type = dict(IMAGE_TYPES).get(path.rsplit(".", 1)[-1]
                                                 .split("?")[0], "image/jpeg")
        else:
            content_type = CONTENT_TYPES[kind]
        h.append(("content-type", content_type))
        if kind != "document" or rng.random() < 0.5:
            h.append(("content-length", str(rng.randint(40, 400000))))
        if kind in ("document", "style", "script", "xhr"):
            h.append(("content-encoding", rng.choice(("gzip", "br"))))
            h.append(("vary", rng.choice(("Accept-Encoding",
                                          "Accept-Encoding, Cookie",
                                          "Origin, Accept-Encoding"))))
        if kind == "document":
            h.append(("cache-control", rng.choice((
                "private, no-cache, no-store, must-revalidate",
                "no-cache", "private, max-age=0", "max-age=0, private"))))
            h.append(("expires", rng.choice(("-1", "0",
                                             "Thu, 01 Jan 1970 00:00:01 GMT"))))
            if not self.modern and rng.random() < 0.5:
                h.append(("p3p", 'CP="This is not a P3P policy!"'))
            for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
                h.append(("set-cookie", self.set_cookie()))
            if rng.random() < 0.3:
                h.append(("link", "<https://%s%s>; rel=preload; as=style" %
                          (self.host, self.asset_path("style"))))
        elif kind == "xhr":
            h.append(("cache-control", "no-cache, no-store"))
            h.append(("access-control-allow-origin", "https://" + self.host))
            h.append(("access-control-allow-credentials", "true"))
            h.append(("x-request-id", n.uuid()))
        else:
            etag = '"%s-%s"' % (n.hex(4), n.hex(12)) if rng.random() < 0.6 \
                else 'W/"%s"' % n.hex(32)
            modified = http_date(self.clock - datetime.timedelta(
                days=rng.randint(1, 900), seconds=rng.randint(0, 86399)))
            self.seen[path] = (etag, modified)
            h.append(("etag", etag))
            h.append(("last-modified", modified))
            h.append(("cache-control", rng.choice((
                "public, max-age=31536000", "max-age=31536000, immutable",
                "public, max-age=86400", "max-age=2592000"))))
            h.append(("expires", http_date(self.clock +
                                           datetime.timedelta(days=365))))
            h.append(("accept-ranges", "bytes"))
            h.append(("access-control-allow-origin", "*"))
            if rng.random() < 0.4:
                h.append(("timing-allow-origin", "*"))

    # ---- sessions ----------------------------------------------------------

    def exchange(self, kind, path, method="GET"):
        request = self.request(kind, path, method)
        response = self.response(kind, path, request)
        self.cases.append(request)
        self.cases.append(response)
        self.clock += datetime.timedelta(seconds=self.rng.choice((0, 0, 0, 1,
                                                                  1, 2, 5)))

    def page_visit(self):
        """A page and its subresources; revisited assets get revalidated."""
        rng = self.rng
        path = self.page_path()
        self.exchange("document", path)
        self.page = path
        kinds = ["style"] * 2 + ["script"] * 4 + ["image"] * 8 + \
            ["font"] + ["xhr"] * 3 + ["beacon"]
        revisits = list(self.seen)
        for _ in range(rng.randint(5, 30)):
            kind = rng.choice(kinds)
            if revisits and rng.random() < 0.25:
                asset = rng.choice(revisits)
                self.exchange(self.kind_of(asset), asset)
            elif kind in ("xhr", "beacon"):
                post = kind == "beacon" or rng.random() < 0.2
                self.exchange(kind, self.api_path(), "POST" if post else "GET")
            else:
                self.exchange(kind, self.asset_path(kind))

    @staticmethod
    def kind_of(path):
        if ".css" in path:
            return "style"
        if ".js" in path:
            return "script"
        if ".woff" in path:
            return "font"
        return "image"

    def generate(self, lists):
        while len(self.cases) < lists:
            self.page_visit()
        del self.cases[lists - lists % 2:]
        return self.cases


def encode_cases(cases, wire_from):
    """hpack-test-case JSON cases; wire from python-hpack's encoder."""
    encoder = None
    if wire_from == "python":
        try:
            import hpack
        except ImportError:
            sys.exit("python3-hpack is missing; run with /usr/bin/python3 or "
                     "use --wire-from none")
        encoder = hpack.Encoder()
        encoder.header_table_size = TABLE_SIZE
    out = []
    for seqno, headers in enumerate(cases):
        case = {"seqno": seqno, "header_table_size": TABLE_SIZE}
        if encoder is not None:
            case["wire"] = encoder.encode(headers, huffman=True).hex()
        case["headers"] = [{name: value} for name, value in headers]
        out.append(case)
    return out


def write_story(f, story):
    """JSON as hpack-test-case lays it out, one header per line, which is
    far smaller than json.dump's indentation and as easy to read."""
    f.write('{\n "cases": [\n')
    for i, case in enumerate(story["cases"]):
        f.write('  {\n   "seqno": %d,\n   "header_table_size": %d,\n' %
                (case["seqno"], case["header_table_size"]))
        if "wire" in case:
            f.write('   "wire": "%s",\n' % case["wire"])
        f.write('   "headers": [\n')
        f.write(",\n".join("    " + json.dumps(h) for h in case["headers"]))
        f.write("\n   ]\n  }%s\n" % ("," if i + 1 < len(story["cases"])
                                      else ""))
    f.write(' ],\n "description": %s\n}\n' % json.dumps(story["description"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--wire-from", choices=("python", "none"),
                        default="python")
    parser.add_argument("--seed", type=int, default=7541)
    parser.add_argument("--stories", type=int, default=len(SITES))
    parser.add_argument("--min-lists", type=int, default=150)
    parser.add_argument("--max-lists", type=int, default=400)
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    total_fields = 0
    for index in range(args.stories):
        # One generator per story, seeded from the corpus seed and the
        # story number, so a story does not change when others are added.
        rng = random.Random(args.seed * 1000 + index)
        site = SITES[index % len(SITES)]
        lists = rng.randint(args.min_lists, args.max_lists)
        cases = Story(index, rng, site).generate(lists)
        total_fields += sum(len(c) for c in cases)
        story = {
            "cases": encode_cases(cases, args.wire_from),
            "description": "Generated browsing session on %s (%d header "
                           "lists, requests and responses alternating), "
                           "seed %d; wire from %s." % (
                               site[0], len(cases), args.seed,
                               "python-hpack" if args.wire_from == "python"
                               else "nobody"),
        }
        path = os.path.join(args.out, "story_%02d.json" % index)
        with open(path, "w") as f:
            write_story(f, story)
    print("wrote %d stories, %d fields to %s" % (args.stories, total_fields,
                                                 args.out))


if __name__ == "__main__":
    main()
