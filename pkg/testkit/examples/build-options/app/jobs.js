// One-off jobs, run by the jobs service and its timers: node jobs.js <job>.
const job = process.argv[2] || "noop";

const jobs = {
  noop: () => console.log("nothing to do"),
  cleanup: () => console.log("cleaned up"),
};

if (!jobs[job]) {
  console.error(`no job ${job}`);
  process.exit(1);
}
jobs[job]();
