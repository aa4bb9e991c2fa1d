/**
 * zod/mini loads no locale: without the English one every message reads "Invalid input". Import
 * this module for its side effect in every module that parses with zod.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());
