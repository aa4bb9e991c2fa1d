import { Construct } from 'constructs';
import { AlarmSet, AlarmSetProps } from './alarm-set';
import { stackRelativeName } from '../core/names';

/**
 * The AlarmSet a construct reports to: the one it was given, else a new one of its own named
 * after it. Every construct with alarms joins or creates its AlarmSet here, so how that is
 * decided (e.g. one shared AlarmSet per stack) is changed in this one function.
 */
export function alarmSetFor(scope: Construct, given: AlarmSet | undefined, props: AlarmSetProps = {}): AlarmSet {
  return given ?? new AlarmSet(scope, 'Alarms', { alarmSetName: stackRelativeName(scope), ...props });
}
