/** The example `npm run demo` trains (scripts/demo.sh) and the walkthrough opens and shows (media/walkthrough/demo.md). */
export const DEMO_EXAMPLE = "equations.rlvr.md";
