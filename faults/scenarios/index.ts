import type { Scenario } from '../types.js';

/**
 * Every fault scenario, in report order. Each scenario lives in its own file in this folder and
 * is added here.
 */
export const scenarios: Scenario[] = [];
