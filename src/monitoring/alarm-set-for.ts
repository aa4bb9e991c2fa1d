import { Construct } from 'constructs';
import { AlarmSet, AlarmSetProps, stackAlarmTopic } from './alarm-set';
import { stackRelativeName } from '../core/names';
import { watchResourceLimit } from '../core/resource-limit';

/**
 * The AlarmSet a construct reports to: the one it was given, else a new one of its own named
 * after it (its alarms, names and dashboard row stay the construct's) that notifies the stack's
 * shared alarm topic unless `props` name a topic or key of its own. Every construct with alarms
 * joins or creates its AlarmSet here, so how that is decided is changed in this one function.
 * Its stack is watched for the resource limit (`watchResourceLimit`) here too.
 */
export function alarmSetFor(scope: Construct, given: AlarmSet | undefined, props: AlarmSetProps = {}): AlarmSet {
  watchResourceLimit(scope);
  if (given) return given;
  const topic = props.topic ?? (props.encryptionKey ? undefined : stackAlarmTopic(scope));
  return new AlarmSet(scope, 'Alarms', { alarmSetName: stackRelativeName(scope), ...props, topic });
}
