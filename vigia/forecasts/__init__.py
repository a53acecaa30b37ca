"""The forecast vocabulary every other part speaks: a quantile forecast and its levels and
horizons (:mod:`.quantiles`), the parts of its weighted interval score (:mod:`.wis`), and the
endemic channel it is judged against for outbreak alerts (:mod:`.endemic`). Below ``models``
and ``evaluate``; imports nothing of Vigía but ``vigia.errors``."""
