"""Every page of a running site, found by following its links from / (tests and tools)."""

import re
from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit


def same_site_links(page, base):
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    for href in hrefs:
        url, _fragment = urldefrag(urljoin(page.url, href))
        path = urlsplit(url).path
        if (
            url.startswith(base + "/")
            and not path.startswith("/static/")
            and not re.search(r"\.(md|json|xml|txt)$|/feed/$", path)
        ):
            yield path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")


def crawl(page, base):
    """Every HTML page reachable from / by links, in the order found (plain-text files
    such as the checkpoints and the key are not pages)."""
    found, queue = ["/"], deque(["/"])
    while queue:
        path = queue.popleft()
        response = page.goto(base + path)
        if "text/html" not in response.headers.get("content-type", ""):
            found.remove(path)
            continue
        for link in same_site_links(page, base):
            if link not in found:
                found.append(link)
                queue.append(link)
    return found
