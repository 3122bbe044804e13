"""The suite's HTTP transport: the session every request goes through, and what it holds each request to.

``session.py`` sends (its docstring lists the rules); ``guard.py`` says what a request may touch, ``deadline.py``
bounds it in time, ``ratelimit.py`` waits limits out, ``auth.py`` and ``answer.py`` keep the token on the wire
alone, ``infrastructure.py`` tells a proxy's answer from the Manager's, ``batch.py`` runs requests at once, and
``errors.py`` names what can go wrong. The Apinizer API's operations are contracts/client.py's.
"""
