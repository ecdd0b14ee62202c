/** The page set every translation bench uses: 4096 distinct 4 KiB pages of a 1 GiB window, in random order. */
import { distinctPages, prng, shuffle } from './random';

/** Number of distinct pages. */
export const PAGES = 4096;
/** Base of the input window. */
const WINDOW_BASE = 0x4000_0000;
/** Pages in the window (1 GiB). */
const WINDOW_PAGES = 0x4_0000;

/** The pages to map (page-aligned input addresses), in mapping order. */
export const mappedPages: readonly number[] = distinctPages(PAGES, WINDOW_PAGES, prng(1)).map((p) => WINDOW_BASE + p * 4096);

/** The same pages in the (different, random) order the benches translate them. */
export const lookupOrder: readonly number[] = shuffle([...mappedPages], prng(2));

/** Byte offset added to each translated address (any offset inside the page). */
export const PAGE_OFFSET = 0x10;
