// Size and depth caps on parsing: past them an answer is not compared as mathematics, and the
// grader says "too large to compare" rather than "not equal".

/** Thrown by the LaTeX reader and the parser when an answer passes a cap. */
export class TooLarge extends Error {}

/** The prefix of every grading reason given for an answer or value past a cap. */
export const TOO_LARGE = "too large to compare";
