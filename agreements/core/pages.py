"""Headers of a page at a private address (a receipt, a confirmation or withdrawal link):
never indexed, and its address never sent on to other sites."""

# Not "no-referrer": with it a browser sends "Origin: null" with the page's own forms,
# and Django's CSRF check refuses them (the receipt's Withdraw button, the confirmation
# buttons). "same-origin" keeps the address private and the forms working.
PRIVATE_REFERRER = "same-origin"


def private(response):
    """The response, marked as a private page's."""
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = PRIVATE_REFERRER
    return response
