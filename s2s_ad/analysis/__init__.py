"""What is known about a function's values before it is transformed: which ones carry a
derivative (``activity``), which are numbers, arrays (and their shapes), never lists
(``kinds``). Transforms, the optimizer and the api ask; none of these modules builds IR."""
