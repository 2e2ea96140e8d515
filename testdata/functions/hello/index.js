// A minimal cloud function for the demo and the tests: it greets the caller
// and echoes the event, so a smoke test can check both.
exports.main = async (event, context) => {
  return { ok: true, message: `hello, ${event.name || 'world'}`, event };
};
