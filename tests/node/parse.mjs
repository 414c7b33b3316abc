// Test-only: read an .ics file with ical.js (Thunderbird's parser) or node-ical and print every
// event's UID with its start as a UTC ISO instant, as JSON. Usage: node parse.mjs ical.js|node-ical FILE
import { readFileSync } from "node:fs";
import ICAL from "ical.js";
import nodeIcal from "node-ical";

const [parser, file] = process.argv.slice(2);
const text = readFileSync(file, "utf8");
const starts = {};
if (parser === "ical.js") {
  const component = new ICAL.Component(ICAL.parse(text));
  for (const zone of component.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(zone));
  }
  for (const vevent of component.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(vevent);
    starts[event.uid] = event.startDate.toJSDate().toISOString();
  }
} else if (parser === "node-ical") {
  for (const item of Object.values(nodeIcal.sync.parseICS(text))) {
    if (item.type === "VEVENT") { starts[item.uid] = item.start.toISOString(); }
  }
} else {
  throw new Error(`unknown parser ${parser}`);
}
process.stdout.write(JSON.stringify(starts));
