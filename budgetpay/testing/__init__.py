"""Test support for the whole suite and the benchmark, one definition of each helper.

    people      the test password, users, signed-in API and page clients
    factories   ledger rows, budgets, goals and notifications for tests to start from; rolled-back blocks
    clock       a frozen, movable "now"; calendar bounds computed without budgetpay.periods
    servers     real server processes (Daphne, the benchmark's; several sharing Redis), their
                environment and database, JSON over a real socket and sign-up through it, a local HTTP
                server for stand-ins; stdlib only, bench/ uses it
    sockets     real WebSocket clients of those servers: a live notification socket, how one closed
    startup     Django started in a process of its own, to see how the settings read the environment
    services    PostgreSQL and Redis: reachable or not-run, private instances to stop and start
    openrouter  OpenRouter's chat-completions protocol on a local server
    oauth       Google's and GitHub's sign-in protocols on a local server
    chat        the assistant's endpoints and socket, and a ledger with known totals
    statements  a CSV statement uploaded to the import endpoint, and the report it answers with
    api         the API's refusals: bad values by field as parametrize cases, a 400 naming the field
    amounts     amounts that are not plain numbers, the money parser's messages, a form's refusal
    insights    the insight endpoints and a calm month with known figures on a fixed day
    compat      the compatibility API's prefix and a client holding its token
    admin       the admin's add and change pages as a superuser posts them, a refused field, the
                owner's-rows rule checked there, and the same refusal from a service
    browser     Chromium through Playwright, and what page tests do and watch on a page
    pages       the site's pages by path, for the tests that open every one
    timing      how the cost of a step grows with its input (convention 13)

The fixtures that use these live in the root conftest.py. This package sits at the top of the
layer contract (.importlinter): it may import any app, and no product module imports it.
"""
