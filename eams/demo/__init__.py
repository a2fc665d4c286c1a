"""`eams demo`: the whole product on one machine, the example province polled from a lab of
simulated devices, with one injected fault that fires an alert."""
