"""A business app that exists only in the tests: it hangs the relations to a customer that the
coming apps will (a one-to-one loyalty account, a many-to-many campaign audience, one survey answer
per customer) off the customer hub, so the merge is tested against them before those apps exist."""
