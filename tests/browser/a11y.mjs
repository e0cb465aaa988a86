// Accessibility checks for every apdir page in Debian's Chromium: axe-core (WCAG 2.0/2.1/2.2
// A and AA) plus checks axe does not make. Pages come from pages.json, which a Rust test keeps
// in step with the mounted routes. Exits non-zero on any violation.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const manifest = JSON.parse(readFileSync(new URL('./pages.json', import.meta.url), 'utf8'));
const base = process.env.APDIR_URL || 'http://127.0.0.1:18080';
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});

const failures = [];
let checked = 0;
const fail = (where, msg) => failures.push(`${where}: ${msg}`);

async function signedInContext(role, opts = {}) {
  const ctx = await browser.newContext(opts);
  if (role !== 'anonymous') {
    const page = await ctx.newPage();
    await page.goto(`${base}/login`);
    await page.fill('#email', manifest.roles[role]);
    await page.fill('#password', manifest.password);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type=submit]')]);
    if (!(await page.content()).includes('Sign out')) throw new Error(`could not sign in as ${role}`);
    await page.close();
  }
  return ctx;
}

// Our own checks: one h1, labels, error-summary targets.
async function structuralChecks(page, where) {
  const r = await page.evaluate(() => {
    const out = [];
    const h1s = document.querySelectorAll('h1').length;
    if (h1s !== 1) out.push(`${h1s} h1 elements (want exactly 1)`);
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (['hidden', 'submit', 'button', 'reset'].includes(el.type)) continue;
      const labelled = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`))
        || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.closest('label');
      if (!labelled) out.push(`field ${el.name || el.id} has no label`);
    }
    for (const a of document.querySelectorAll('.error-summary a')) {
      const id = decodeURIComponent((a.getAttribute('href') || '').replace(/^#/, ''));
      const target = id && document.getElementById(id);
      if (!target) out.push(`error summary link ${a.getAttribute('href')} points at nothing`);
      else if (!['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName)) out.push(`error summary link ${id} is not a field`);
    }
    if (!document.querySelector('main#main-content')) out.push('no main landmark with id main-content');
    if (!document.querySelector('a.skip-link[href="#main-content"]')) out.push('no skip link');
    return out;
  });
  r.forEach((m) => fail(where, m));
}

async function axeCheck(page, where) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  }, TAGS);
  result.forEach((m) => fail(where, `axe ${m}`));
}

async function reflowCheck(page, where) {
  await page.setViewportSize({ width: 320, height: 640 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (overflow > 0) fail(where, `scrolls horizontally by ${overflow}px at 320 CSS px`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function openVisit(page, visit) {
  let path = visit.path;
  if (visit.from) {
    await page.goto(base + visit.from.path);
    path = await page.getAttribute(visit.from.link, 'href');
    if (!path) throw new Error(`no link ${visit.from.link} on ${visit.from.path}`);
  }
  let response = await page.goto(base + path);
  if (visit.submit) {
    // "*": the page's one post form (for forms whose address holds a token).
    const form = visit.submit.form === '*' ? 'main form[method="post"]' : `form[action="${visit.submit.form}"]`;
    for (const [name, value] of Object.entries(visit.submit.fields)) {
      await page.fill(`${form} [name="${name}"]`, value);
    }
    for (const box of visit.submit.check || []) await page.check(box);
    [response] = await Promise.all([page.waitForNavigation(), page.click(`${form} button[type=submit]`)]);
  }
  return { response, path };
}

const roles = ['anonymous', ...Object.keys(manifest.roles)];
for (const role of roles) {
  const ctx = await signedInContext(role, { viewport: { width: 1280, height: 900 } });
  const noJs = await signedInContext(role, { javaScriptEnabled: false });
  for (const entry of manifest.pages) {
    for (const visit of entry.visits) {
      if (!visit.as.includes(role)) continue;
      const where = `${role} ${entry.route} ${visit.path || visit.from.path}${visit.state ? ` [${visit.state}]` : ''}`;
      const expect = visit.expect || 200;
      for (const [context, js] of [[ctx, true], [noJs, false]]) {
        const page = await context.newPage();
        try {
          const { response } = await openVisit(page, visit);
          checked += 1;
          if (response.status() !== expect) fail(where, `status ${response.status()} (want ${expect})${js ? '' : ' without JavaScript'}`);
          if (js) {
            await axeCheck(page, where);
            await structuralChecks(page, where);
            await reflowCheck(page, where);
          } else {
            const html = await page.content();
            const h1s = (html.match(/<h1[\s>]/g) || []).length;
            if (h1s !== 1) fail(where, `without JavaScript: ${h1s} h1 elements`);
          }
        } catch (e) {
          fail(where, `${js ? '' : 'without JavaScript: '}${e.message.split('\n')[0]}`);
        } finally {
          await page.close();
        }
      }
    }
  }
  await ctx.close();
  await noJs.close();
}

// Keyboard only: sign in and out using Tab, typing and Enter.
{
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${base}/login`);
  const focused = () => page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.textContent.trim()));
  let steps = 0;
  while ((await focused()) !== 'email' && steps < 20) { await page.keyboard.press('Tab'); steps += 1; }
  if ((await focused()) !== 'email') fail('keyboard sign-in', 'the email field cannot be reached with Tab');
  const skip = await page.evaluate(() => document.querySelector('.skip-link') === document.activeElement);
  await page.keyboard.type(manifest.roles.school);
  await page.keyboard.press('Tab');
  if ((await focused()) !== 'password') fail('keyboard sign-in', 'Tab from email does not reach password');
  await page.keyboard.type(manifest.password);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  if (!(await page.content()).includes('Sign out')) fail('keyboard sign-in', 'Enter did not sign in');
  // The first Tab on a page reaches the skip link.
  await page.goto(`${base}/providers`);
  await page.keyboard.press('Tab');
  const first = await page.evaluate(() => document.activeElement.className);
  if (!String(first).includes('skip-link')) fail('keyboard', `first Tab reaches "${first}", not the skip link`);
  // Sign out from the header by keyboard.
  let found = false;
  for (let i = 0; i < 30 && !found; i += 1) {
    await page.keyboard.press('Tab');
    found = (await focused()) === 'Sign out';
  }
  if (!found) fail('keyboard sign-out', 'the Sign out button cannot be reached with Tab');
  else {
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    if (!(await page.content()).includes('You have signed out')) fail('keyboard sign-out', 'Enter did not sign out');
  }
  checked += 1;
  void skip;
  await ctx.close();
}

await browser.close();
if (failures.length) {
  console.error(`Accessibility: ${failures.length} problems in ${checked} page checks:`);
  for (const f of failures) console.error(`  - ${f}`);
  console.log(`${checked - new Set(failures.map((f) => f.split(':')[0])).size} passed, ${new Set(failures.map((f) => f.split(':')[0])).size} failed`);
  process.exit(1);
}
console.log(`Accessibility: ${checked} page checks in Chromium, 0 violations`);
console.log(`${checked} passed, 0 failed`);
