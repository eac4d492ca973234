"""What every workstation's window has, whatever its role (Anki's `aqt` is the model):

| module          | what it is                                                                          |
|-----------------|-------------------------------------------------------------------------------------|
| `taskman`       | two lanes: store work on one thread, network and token work on another              |
| `operations`    | `Op` (work on a lane, result or error back, changes published), `Changes`, the hub  |
| `host`          | what views share: workstation, words, lanes, hub, progress, the one failure path    |
| `progress`      | the busy indicator shown while long work runs                                       |
| `prompter`      | `QtPrompter`: PINs and passphrases in dialogs, asked from any thread                |
| `unlock`        | the facility passphrase                                                             |
| `session`       | login with token and PIN, idle lock, lock on token removal, unlock                  |
| `login`         | the login and lock screen                                                           |
| `sync`          | the sync schedules the window owns, and its ops                                     |
| `status`        | the status light                                                                    |
| `syncpanel`     | queue, reference data ages, items that need a person                                |
| `settings`      | the settings dialog                                                                 |
| `scanner`       | keyboard-wedge scanner bursts, recognised anywhere, and what they read              |
| `paper`         | PDFs on a printer (Qt's print dialog, preview) or saved                             |
| `prescriptions` | the list of prescriptions with filters and search                                   |
| `catalog`       | the drug catalog searched as you type                                               |
| `mainwindow`    | the window: pages, menus, status bar, login/lock in place of the pages              |

Role packages (`ui.clinic`, `ui.pharmacy`) add their pages and actions to the main window.
"""
