"""Tests of how the apps work together: pages and endpoints across apps, imports of every kind, the
permission check over the whole URL map. They sit outside the apps because they use several."""
